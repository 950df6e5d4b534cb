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
