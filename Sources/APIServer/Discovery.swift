import KubeAPI

/// Discovery documents: aggregated (apidiscovery.k8s.io v2 / v2beta1) and legacy.
enum Discovery {
    static let verbs: [JSON] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    static func groups() -> [(group: String, version: String)] {
        var seen: [String] = []
        var out: [(String, String)] = []
        for r in ResourceType.all where !seen.contains(r.apiVersion) {
            seen.append(r.apiVersion)
            out.append((r.group, r.version))
        }
        return out
    }

    static func aggregatedResource(_ r: ResourceType) -> JSON {
        var o: JSON = [
            "resource": .string(r.plural), "singularResource": .string(r.singular),
            "scope": r.namespaced ? "Namespaced" : "Cluster",
            "responseKind": ["group": .string(r.group), "version": .string(r.version), "kind": .string(r.kind)],
            "verbs": .array(verbs),
        ]
        if !r.shortNames.isEmpty { o["shortNames"] = .array(r.shortNames.map { .string($0) }) }
        if !r.categories.isEmpty { o["categories"] = .array(r.categories.map { .string($0) }) }
        if r.hasStatus {
            o["subresources"] = [[
                "subresource": "status",
                "responseKind": ["group": .string(r.group), "version": .string(r.version), "kind": .string(r.kind)],
                "verbs": ["get", "patch", "update"],
            ]]
        }
        return o
    }

    /// `/api` (core = true) or `/apis` as an APIGroupDiscoveryList of the given version (v2 or v2beta1).
    static func aggregated(core: Bool, version: String) -> JSON {
        var items: [JSON] = []
        for (g, v) in groups() where (g.isEmpty) == core {
            let resources = ResourceType.all.filter { $0.group == g && $0.version == v }.map(aggregatedResource)
            items.append([
                "metadata": ["name": .string(g), "creationTimestamp": nil],
                "versions": [["version": .string(v), "resources": .array(resources), "freshness": "Current"]],
            ])
        }
        return [
            "kind": "APIGroupDiscoveryList", "apiVersion": .string("apidiscovery.k8s.io/\(version)"),
            "metadata": .object([:]), "items": .array(items),
        ]
    }

    static func apiVersions(serverAddress: String) -> JSON {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    static func apiGroup(_ g: String) -> JSON? {
        guard let (_, v) = groups().first(where: { $0.group == g && !g.isEmpty }) else { return nil }
        let gv: JSON = ["groupVersion": .string("\(g)/\(v)"), "version": .string(v)]
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(g), "versions": [gv], "preferredVersion": gv]
    }

    static func apiGroupList() -> JSON {
        let groups = groups().filter { !$0.group.isEmpty }.map { g, _ in apiGroup(g)! }.map { g -> JSON in
            var g = g
            g["kind"] = nil
            g["apiVersion"] = nil
            return g
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    static func resourceList(group: String, version: String) -> JSON? {
        let rs = ResourceType.all.filter { $0.group == group && $0.version == version }
        guard !rs.isEmpty else { return nil }
        var out: [JSON] = []
        for r in rs {
            var o: JSON = [
                "name": .string(r.plural), "singularName": .string(r.singular), "namespaced": .bool(r.namespaced),
                "kind": .string(r.kind), "verbs": .array(verbs),
            ]
            if !r.shortNames.isEmpty { o["shortNames"] = .array(r.shortNames.map { .string($0) }) }
            if !r.categories.isEmpty { o["categories"] = .array(r.categories.map { .string($0) }) }
            out.append(o)
            if r.hasStatus {
                out.append([
                    "name": .string(r.plural + "/status"), "singularName": "", "namespaced": .bool(r.namespaced),
                    "kind": .string(r.kind), "verbs": ["get", "patch", "update"],
                ])
            }
        }
        let gv = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(gv), "resources": .array(out)]
    }
}

/// The OpenAPI v3 documents kubectl needs: per group-version, one PATCH operation per kind carrying
/// its GVK and a `fieldValidation` parameter, so kubectl delegates strict validation to the server.
enum OpenAPI {
    static func path(for gv: (group: String, version: String)) -> String {
        gv.group.isEmpty ? "api/\(gv.version)" : "apis/\(gv.group)/\(gv.version)"
    }

    static func index(hash: String) -> JSON {
        var paths: [String: JSON] = [:]
        for gv in Discovery.groups() {
            let p = path(for: gv)
            paths[p] = ["serverRelativeURL": .string("/openapi/v3/\(p)?hash=\(hash)")]
        }
        return ["paths": .object(paths)]
    }

    static func document(group: String, version: String) -> JSON? {
        let rs = ResourceType.all.filter { $0.group == group && $0.version == version }
        guard !rs.isEmpty else { return nil }
        var paths: [String: JSON] = [:]
        let base = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        let params: JSON = [
            ["name": "dryRun", "in": "query", "schema": ["type": "string"]],
            ["name": "fieldManager", "in": "query", "schema": ["type": "string"]],
            ["name": "fieldValidation", "in": "query", "schema": ["type": "string"]],
            ["name": "force", "in": "query", "schema": ["type": "boolean"]],
        ]
        for r in rs {
            let gvk: JSON = ["group": .string(group), "version": .string(version), "kind": .string(r.kind)]
            let op: JSON = [
                "x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch",
                "operationId": .string("patch\(r.kind)"),
                "parameters": params,
                "responses": ["200": ["description": "OK"], "201": ["description": "Created"]],
            ]
            let postOp: JSON = [
                "x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "post",
                "operationId": .string("create\(r.kind)"),
                "parameters": params,
                "responses": ["200": ["description": "OK"], "201": ["description": "Created"]],
            ]
            let item = r.namespaced ? "\(base)/namespaces/{namespace}/\(r.plural)/{name}" : "\(base)/\(r.plural)/{name}"
            let coll = r.namespaced ? "\(base)/namespaces/{namespace}/\(r.plural)" : "\(base)/\(r.plural)"
            paths[item] = ["patch": op, "put": op.replacing("x-kubernetes-action", with: "put")]
            paths[coll] = ["post": postOp]
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": .string(APIServerInfo.gitVersion)],
            "paths": .object(paths), "components": ["schemas": .object([:])],
        ]
    }
}

extension JSON {
    fileprivate func replacing(_ key: String, with value: JSON) -> JSON {
        var c = self
        c[key] = value
        return c
    }
}

/// Version facts reported by `/version`. The installed kubectl is a dispatcher that picks its
/// client from the minor version, so it must be 32.
public enum APIServerInfo {
    public static let gitVersion = "v1.32.4"
    static var versionJSON: JSON {
        [
            "major": "1", "minor": "32", "gitVersion": .string(gitVersion),
            "gitCommit": "ferry", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64",
        ]
    }
}
