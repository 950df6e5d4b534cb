import ClusterClient
import Controllers
import Foundation
import Ingress
import IngressCore
import KubeAPI
import Logging
import ServiceLifecycle

/// Turns the ingress route-table build reports into what a user sees: one Warning Event on the
/// Ingress (and a log line) when it is skipped or has an unusable certificate, and one when it uses
/// `nginx.ingress.kubernetes.io/*` annotations Ferry ignores. A finding is reported once, and again
/// only after it went away and came back.
struct IngressEventService: ServiceLifecycle.Service {
    let server: IngressServer
    let client: KubeClient
    let source: any ClusterSource
    let logger: Logger

    /// One finding: the Ingress, an Event reason and message.
    struct Finding: Hashable {
        var ingress: IngressRef
        var reason: String
        var message: String
    }

    static func findings(_ report: IngressBuildReport) -> Set<Finding> {
        var out = Set<Finding>()
        for p in report.problems { out.insert(Finding(ingress: p.ingress, reason: p.reason.rawValue, message: p.message)) }
        for (ref, names) in report.unsupportedAnnotations where !names.isEmpty {
            out.insert(Finding(ingress: ref, reason: "UnsupportedAnnotations", message: "ignored annotations: \(names.sorted().joined(separator: ", "))"))
        }
        return out
    }

    func run() async throws {
        let reports = server.buildReports()
        _ = try? await cancelWhenGracefulShutdown {
            var reported = Set<Finding>()
            for await report in reports {
                let now = Self.findings(report)
                for f in now.subtracting(reported).sorted(by: { ($0.ingress, $0.reason) < ($1.ingress, $1.reason) }) {
                    logger.warning("ingress not fully served", metadata: [
                        "ingress": "\(f.ingress.namespace)/\(f.ingress.name)", "reason": "\(f.reason)", "message": "\(f.message)",
                    ])
                    await event(f)
                }
                reported = now
            }
        }
    }

    func event(_ f: Finding) async {
        let uid = source.current[.ingress]["\(f.ingress.namespace)/\(f.ingress.name)"]?.at("metadata", "uid")?.stringValue ?? ""
        let ev = warningEvent(
            about: ("networking.k8s.io/v1", "Ingress", f.ingress.namespace, f.ingress.name, uid),
            reason: f.reason, message: f.message, component: "ferry-ingress")
        do { _ = try await client.create(.event, namespace: f.ingress.namespace, ev) } catch {
            logger.debug("event create failed", metadata: ["error": "\(error)"])
        }
    }
}
