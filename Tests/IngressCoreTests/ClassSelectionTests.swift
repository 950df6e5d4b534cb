import KubeAPI
import Testing

@testable import IngressCore

@Suite struct ClassSelectionTests {
    static let ferry = IngressClassSelection.controller

    /// (ingressClassName, legacy annotation, classes present, served?)
    static let cases: [(String?, String?, [IngressClass], Bool)] = [
        // Named class with an IngressClass object: the object's controller decides.
        ("ferry", nil, [Fx.ingressClass("ferry", controller: ferry)], true),
        ("custom", nil, [Fx.ingressClass("custom", controller: ferry)], true),
        ("nginx", nil, [Fx.ingressClass("nginx", controller: "k8s.io/ingress-nginx")], false),
        ("ferry", nil, [Fx.ingressClass("ferry", controller: "example.com/other")], false),
        // Named class without an object: our configured names only.
        ("ferry", nil, [], true),
        ("nginx", nil, [], true),
        ("traefik", nil, [], false),
        ("some-invalid-class-name", nil, [Fx.ingressClass("ferry", controller: ferry, isDefault: true)], false),
        // Legacy annotation, same rules; the spec field wins when both are set.
        (nil, "nginx", [], true),
        (nil, "traefik", [], false),
        (nil, "other", [Fx.ingressClass("other", controller: ferry)], true),
        ("traefik", "ferry", [], false),
        ("ferry", "traefik", [], true),
        // No class: served only when one of our IngressClasses is the default.
        (nil, nil, [], false),
        (nil, nil, [Fx.ingressClass("ferry", controller: ferry)], false),
        (nil, nil, [Fx.ingressClass("ferry", controller: ferry, isDefault: true)], true),
        (nil, nil, [Fx.ingressClass("nginx", controller: "k8s.io/ingress-nginx", isDefault: true)], false),
        (
            nil, nil,
            [
                Fx.ingressClass("nginx", controller: "k8s.io/ingress-nginx", isDefault: true),
                Fx.ingressClass("f", controller: ferry, isDefault: true),
            ], true
        ),
        // Empty strings are "unset".
        ("", nil, [Fx.ingressClass("ferry", controller: ferry, isDefault: true)], true),
        ("", "", [], false),
    ]

    @Test(arguments: cases)
    func selection(className: String?, annotation: String?, classes: [IngressClass], served: Bool) {
        var ann: [String: String] = [:]
        if let annotation { ann["kubernetes.io/ingress.class"] = annotation }
        let ing = Fx.ingress("i", className: className, annotations: ann, defaultBackend: Fx.backend("s", 80))
        let got = ingressesServed([ing], classes: classes, ourClassNames: IngressClassSelection.defaultClassNames)
        #expect(got.count == (served ? 1 : 0))
    }

    @Test func keepsInputOrderAndFilters() {
        let ings = [
            Fx.ingress("a", className: "ferry", defaultBackend: Fx.backend("s", 80)),
            Fx.ingress("b", className: "traefik", defaultBackend: Fx.backend("s", 80)),
            Fx.ingress("c", className: nil, defaultBackend: Fx.backend("s", 80)),
            Fx.ingress("d", className: "nginx", defaultBackend: Fx.backend("s", 80)),
        ]
        let got = ingressesServed(ings, classes: [], ourClassNames: ["ferry", "nginx"])
        #expect(got.map(\.metadata.name) == ["a", "d"])
        let custom = ingressesServed(ings, classes: [], ourClassNames: ["traefik"], controller: "x/y")
        #expect(custom.map(\.metadata.name) == ["b"])
    }
}
