import KubeAPI

/// Ferry's `IngressClass.spec.controller` value and the default class names it answers to.
public enum IngressClassSelection {
    public static let controller = "ferry.dev/ingress"
    public static let defaultClassNames: Set<String> = ["ferry", "nginx"]
    /// Deprecated annotation that "ingress controllers should still honor" (networking/v1 types.go).
    public static let legacyClassAnnotation = "kubernetes.io/ingress.class"
}

/// The Ingresses this controller serves, in input order.
///
/// An Ingress names its class by `spec.ingressClassName`, else by the legacy `kubernetes.io/ingress.class`
/// annotation. A named class is ours when an IngressClass of that name exists with our `controller`, or, when no
/// IngressClass of that name exists at all, when the name is in `ourClassNames`. An Ingress with no class is ours
/// only when some IngressClass with our controller carries `ingressclass.kubernetes.io/is-default-class: "true"`.
public func ingressesServed(
    _ ingresses: [Ingress], classes: [IngressClass], ourClassNames: Set<String>,
    controller: String = IngressClassSelection.controller
) -> [Ingress] {
    var classByName: [String: IngressClass] = [:]
    for c in classes { classByName[c.metadata.name] = c }
    let ourDefaultExists = classes.contains { $0.isDefault && $0.controller == controller }
    return ingresses.filter { ing in
        guard let name = ingressClassName(of: ing) else { return ourDefaultExists }
        if let cls = classByName[name] { return cls.controller == controller }
        // No object: answer to our configured names (ingress-nginx's --ingress-class-by-name behaviour), so a
        // class owned by another controller is never taken over just because its name is "nginx".
        return ourClassNames.contains(name)
    }
}

/// The class an Ingress asks for: the spec field wins over the legacy annotation; empty strings count as unset.
public func ingressClassName(of ingress: Ingress) -> String? {
    if let n = ingress.ingressClassName, !n.isEmpty { return n }
    if let a = ingress.metadata.annotations[IngressClassSelection.legacyClassAnnotation], !a.isEmpty { return a }
    return nil
}
