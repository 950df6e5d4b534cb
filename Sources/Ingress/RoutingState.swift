import IngressCore
import KubeAPI
import NIOSSL
import Synchronization

/// What one route-table build produced, for the lead to turn into Events and Ingress status. Problems include
/// Ingresses whose TLS Secret holds a certificate or key that does not load (served with the default certificate).
public struct IngressBuildReport: Sendable {
    /// `ClusterSnapshot.version` the table was built from.
    public var snapshotVersion: Int
    /// Skipped Ingresses (and unusable certificates): one Warning Event each.
    public var problems: [IngressProblem]
    /// Rules shadowed by an older Ingress's rule.
    public var conflicts: [RouteConflict]
    /// Ignored `nginx.ingress.kubernetes.io/*` annotations per Ingress.
    public var unsupportedAnnotations: [IngressRef: [String]]
    /// Ingresses in the table (candidates for `status.loadBalancer`).
    public var accepted: [IngressRef]

    public init(
        snapshotVersion: Int = 0, problems: [IngressProblem] = [], conflicts: [RouteConflict] = [],
        unsupportedAnnotations: [IngressRef: [String]] = [:], accepted: [IngressRef] = []
    ) {
        self.snapshotVersion = snapshotVersion
        self.problems = problems
        self.conflicts = conflicts
        self.unsupportedAnnotations = unsupportedAnnotations
        self.accepted = accepted
    }
}

/// Typed objects decoded from a snapshot, reused across builds while an object's resourceVersion
/// stays the same: a rebuild after one change decodes one object, not every Ingress, Service,
/// EndpointSlice and Secret in the cluster.
struct DecodeCache<T> {
    private var entries: [String: (rv: String, value: T)] = [:]

    mutating func decode(_ objects: ClusterSnapshot.Objects, _ make: (JSON) -> T) -> [T] {
        var next: [String: (rv: String, value: T)] = [:]
        next.reserveCapacity(objects.count)
        var out: [T] = []
        out.reserveCapacity(objects.count)
        for (key, json) in objects {
            let rv = json.at("metadata", "resourceVersion")?.stringValue ?? ""
            let value: T
            if !rv.isEmpty, let e = entries[key], e.rv == rv { value = e.value } else { value = make(json) }
            out.append(value)
            next[key] = (rv, value)
        }
        entries = next
        return out
    }
}

extension DecodeCache: Sendable where T: Sendable {}

/// The decode caches of one `IngressServer`, one per resource the route table reads.
struct RoutingDecodeCaches: Sendable {
    var ingresses = DecodeCache<Ingress>()
    var ingressClasses = DecodeCache<IngressClass>()
    var services = DecodeCache<Service>()
    var endpointSlices = DecodeCache<EndpointSlice>()
    var secrets = DecodeCache<Secret>()
}

/// The immutable state every request and TLS handshake reads: route table plus loaded certificates.
struct RoutingState: Sendable {
    var table: RouteTable
    /// Certificates referenced by the table that loaded; absent ones fall back to the default certificate.
    var certificates: [TLSCertificate: NIOSSLContextConfigurationOverride]
    var report: IngressBuildReport

    static let empty = RoutingState(table: RouteTable(), certificates: [:], report: IngressBuildReport())

    /// The handshake override for an SNI name; `.noChanges` selects the default certificate.
    func tlsOverride(forSNI name: String?) -> NIOSSLContextConfigurationOverride {
        guard let name, let cert = table.certificate(forSNI: name), let o = certificates[cert] else {
            return .noChanges
        }
        return o
    }

    /// Builds the state for `snapshot`: class selection, `RouteTable.build`, then certificate loading (reusing
    /// `previous` results for unchanged Secrets so a resync costs no PEM parsing).
    static func make(
        snapshot: ClusterSnapshot, classNames: Set<String>, controller: String, previous: RoutingState
    ) -> RoutingState {
        var caches = RoutingDecodeCaches()
        return make(snapshot: snapshot, classNames: classNames, controller: controller, previous: previous, caches: &caches)
    }

    static func make(
        snapshot: ClusterSnapshot, classNames: Set<String>, controller: String, previous: RoutingState,
        caches: inout RoutingDecodeCaches
    ) -> RoutingState {
        let ingresses = ingressesServed(
            caches.ingresses.decode(snapshot[.ingress], Ingress.init),
            classes: caches.ingressClasses.decode(snapshot[.ingressClass], IngressClass.init),
            ourClassNames: classNames, controller: controller)
        let build = RouteTable.build(
            ingresses: ingresses, services: caches.services.decode(snapshot[.service], Service.init),
            endpointSlices: caches.endpointSlices.decode(snapshot[.endpointSlice], EndpointSlice.init),
            secrets: caches.secrets.decode(snapshot[.secret], Secret.init))
        var report = IngressBuildReport(
            snapshotVersion: snapshot.version, problems: build.problems, conflicts: build.conflicts,
            unsupportedAnnotations: build.unsupportedAnnotations, accepted: build.accepted)
        let accepted = Set(build.accepted)
        var certificates: [TLSCertificate: NIOSSLContextConfigurationOverride] = [:]
        var failed = Set<TLSCertificate>()
        for ing in ingresses where accepted.contains(IngressRef(ing)) {
            for t in ing.tls {
                for host in t.hosts {
                    // The table decides which Ingress owns a TLS host; ask it rather than re-deriving precedence.
                    guard let cert = build.table.certificate(forSNI: host), certificates[cert] == nil,
                        !failed.contains(cert)
                    else { continue }
                    if let o = previous.certificates[cert] {
                        certificates[cert] = o
                        continue
                    }
                    switch CertificateLoader.load(chainPEM: cert.certificateChainPEM, keyPEM: cert.privateKeyPEM) {
                    case .success(let o): certificates[cert] = o
                    case .failure(let e):
                        failed.insert(cert)
                        report.problems.append(
                            IngressProblem(
                                ingress: cert.ingress, reason: .invalidTLSSecret,
                                message: "TLS Secret \"\(cert.secretNamespace)/\(cert.secretName)\" does not load "
                                    + "(\(e.reason)); serving the default certificate"))
                    }
                }
            }
        }
        return RoutingState(table: build.table, certificates: certificates, report: report)
    }
}

/// Parses PEM material into a handshake override, validating that key and certificate belong together by building
/// a throwaway server context (BoringSSL rejects a mismatched pair there).
enum CertificateLoader {
    struct Failure: Error, Equatable {
        var reason: String
    }

    static func load(chainPEM: [UInt8], keyPEM: [UInt8]) -> Result<NIOSSLContextConfigurationOverride, Failure> {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(chainPEM)
        } catch {
            return .failure(Failure(reason: "tls.crt is not a PEM certificate"))
        }
        guard !chain.isEmpty else { return .failure(Failure(reason: "tls.crt holds no certificate")) }
        do {
            key = try NIOSSLPrivateKey(bytes: keyPEM, format: .pem)
        } catch {
            return .failure(Failure(reason: "tls.key is not a PEM private key"))
        }
        do {
            _ = try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
        } catch {
            return .failure(Failure(reason: "tls.key does not match tls.crt"))
        }
        var o = NIOSSLContextConfigurationOverride()
        o.certificateChain = chain.map { .certificate($0) }
        o.privateKey = .privateKey(key)
        return .success(o)
    }
}

/// The current `RoutingState`, swapped whole on every snapshot. Readers take the lock only to copy the value out.
final class RoutingStore: Sendable {
    private let box: Mutex<RoutingState>

    init(_ initial: RoutingState = .empty) { box = Mutex(initial) }

    var current: RoutingState { box.withLock { $0 } }

    func replace(_ s: RoutingState) { box.withLock { $0 = s } }
}
