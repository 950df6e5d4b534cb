import Foundation
import KubeAPI

/// The writes controllers make against the API (implemented by `KubeClient`; a fake in tests).
public protocol ClusterWriter: Sendable {
    func create(_ r: ResourceType, namespace: String?, _ obj: JSON) async throws -> JSON
    func update(_ r: ResourceType, namespace: String?, name: String, subresource: String?, _ obj: JSON) async throws -> JSON
    func delete(_ r: ResourceType, namespace: String?, name: String) async throws
}

/// Resource versions compare as integers on etcd/kine-backed servers; fall back to string order.
func rvLess(_ a: String?, _ b: String?) -> Bool {
    guard let a, let b else { return a == nil && b != nil }
    if let x = Int64(a), let y = Int64(b) { return x < y }
    return a < b
}

/// A core/v1 Warning Event about one object, as controllers record them (`kubectl describe` lists them).
public func warningEvent(
    about object: (apiVersion: String, kind: String, namespace: String, name: String, uid: String),
    reason: String, message: String, component: String
) -> JSON {
    let now = ISO8601DateFormatter().string(from: Date())
    return [
        "apiVersion": "v1", "kind": "Event",
        "metadata": ["generateName": .string(object.name + "."), "namespace": .string(object.namespace)],
        "involvedObject": [
            "apiVersion": .string(object.apiVersion), "kind": .string(object.kind), "name": .string(object.name),
            "namespace": .string(object.namespace), "uid": .string(object.uid),
        ],
        "reason": .string(reason), "message": .string(message), "type": "Warning",
        "source": ["component": .string(component)], "reportingComponent": .string(component),
        "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
    ]
}
