import Foundation

/// One step of a server-side-apply field path: a struct or map field, the key of a list-map item,
/// the value of a set item, or a plain list index. Ordered as structured-merge-diff orders them
/// (fields, then keys, then values, then indexes), which fixes the order of conflict reports.
public enum FieldPathElement: Hashable, Sendable {
    case field(String)
    /// Key fields of a list-map item (`k:{"port":80,"protocol":"TCP"}`); build with `key(_:)`.
    case key([String: JSON])
    /// A set item (`v:"finalizer"`); build with `value(_:)`.
    case value(JSON)
    case index(Int)

    /// A list-map key element with numbers normalised, so `80` and `80.0` name the same item.
    public static func key(normalizing fields: [String: JSON]) -> FieldPathElement {
        .key(fields.mapValues { $0.applyNormalizedNumbers })
    }

    /// A set item element with numbers normalised.
    public static func value(normalizing v: JSON) -> FieldPathElement { .value(v.applyNormalizedNumbers) }
}

/// A field path, e.g. `.spec.ports[port=80,protocol="TCP"].targetPort` when printed.
public typealias FieldPath = [FieldPathElement]

/// Errors decoding a FieldsV1 document (`metadata.managedFields[].fieldsV1`).
public enum FieldSetError: Error, Equatable, Sendable {
    case notAnObject(path: String)
    case invalidElement(String, reason: String)
}

extension FieldPathElement: Comparable {
    private var rank: Int {
        switch self {
        case .field: return 0
        case .key: return 1
        case .value: return 2
        case .index: return 3
        }
    }

    public static func < (lhs: FieldPathElement, rhs: FieldPathElement) -> Bool { lhs.compare(rhs) < 0 }

    /// Three-way comparison following structured-merge-diff's `PathElement.Compare`.
    public func compare(_ rhs: FieldPathElement) -> Int {
        switch (self, rhs) {
        case (.field(let a), .field(let b)): return JSON.applyCompareBytes(a, b)
        case (.key(let a), .key(let b)):
            let la = a.sorted { JSON.applyCompareBytes($0.key, $1.key) < 0 }
            let lb = b.sorted { JSON.applyCompareBytes($0.key, $1.key) < 0 }
            for i in 0..<max(la.count, lb.count) {
                if i >= la.count { return -1 }
                if i >= lb.count { return 1 }
                let c = JSON.applyCompareBytes(la[i].key, lb[i].key)
                if c != 0 { return c }
                let v = la[i].value.applyCompare(lb[i].value)
                if v != 0 { return v }
            }
            return 0
        case (.value(let a), .value(let b)): return a.applyCompare(b)
        case (.index(let a), .index(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        default: return rank < rhs.rank ? -1 : 1
        }
    }

    /// The element as printed in conflict messages: `.name`, `[port=80,protocol="TCP"]`, `[="x"]`, `[0]`.
    public var pathString: String {
        switch self {
        case .field(let name): return "." + name
        case .key(let fields):
            let parts = fields.keys.sorted { JSON.applyCompareBytes($0, $1) < 0 }.map { "\($0)=\(fields[$0]!.applyGoString)" }
            return "[" + parts.joined(separator: ",") + "]"
        case .value(let v): return "[=\(v.applyGoString)]"
        case .index(let i): return "[\(i)]"
        }
    }

    /// The FieldsV1 key for this element: `f:name`, `k:{...}`, `v:...` or `i:N`.
    public var fieldsV1Key: String {
        switch self {
        case .field(let name): return "f:" + name
        case .key(let fields): return "k:" + JSON.object(fields).serialized()
        case .value(let v): return "v:" + v.serialized()
        case .index(let i): return "i:\(i)"
        }
    }

    /// Parses a FieldsV1 key. Returns nil for an unknown element type, which upstream skips.
    public init?(fieldsV1Key s: String) throws(FieldSetError) {
        let bytes = Array(s.utf8)
        guard bytes.count >= 2 else { throw .invalidElement(s, reason: "key must be 2 characters long") }
        guard bytes[1] == UInt8(ascii: ":") else { throw .invalidElement(s, reason: "missing colon") }
        let rest = String(decoding: bytes[2...], as: UTF8.self)
        switch bytes[0] {
        case UInt8(ascii: "f"):
            self = .field(rest)
        case UInt8(ascii: "v"):
            do { self = .value(normalizing: try JSON.parse(rest)) } catch {
                throw .invalidElement(s, reason: "\(error)")
            }
        case UInt8(ascii: "k"):
            let parsed: JSON
            do { parsed = try JSON.parse(rest) } catch { throw .invalidElement(s, reason: "\(error)") }
            guard case .object(let fields) = parsed else { throw .invalidElement(s, reason: "key is not an object") }
            self = .key(normalizing: fields)
        case UInt8(ascii: "i"):
            guard let i = Int(rest) else { throw .invalidElement(s, reason: "invalid index") }
            self = .index(i)
        default:
            return nil
        }
    }
}

extension Array where Element == FieldPathElement {
    /// The path as printed in conflict messages, e.g. `.spec.ports[port=80,protocol="TCP"].targetPort`.
    public var pathString: String { map(\.pathString).joined() }
}

/// A set of field paths stored as a tree, like structured-merge-diff's `fieldpath.Set`: `members` are
/// paths ending at this level, `children` hold longer paths. A node can be both a member and have
/// children (FieldsV1 writes that as a `"."` entry). Empty children are never stored.
public struct FieldSet: Hashable, Sendable {
    public private(set) var members: Set<FieldPathElement> = []
    public private(set) var children: [FieldPathElement: FieldSet] = [:]

    public init() {}

    public init(_ paths: [FieldPath]) {
        for p in paths { insert(p) }
    }

    public var isEmpty: Bool { members.isEmpty && children.isEmpty }

    /// Adds a path; the empty path is ignored (the root object itself is never owned).
    public mutating func insert(_ path: FieldPath) {
        guard let first = path.first else { return }
        if path.count == 1 { members.insert(first); return }
        var child = children[first] ?? FieldSet()
        child.insert(Array(path.dropFirst()))
        children[first] = child
    }

    public func contains(_ path: FieldPath) -> Bool {
        guard let first = path.first else { return false }
        if path.count == 1 { return members.contains(first) }
        return children[first]?.contains(Array(path.dropFirst())) ?? false
    }

    /// The subtree below one element (empty when absent).
    public func child(_ element: FieldPathElement) -> FieldSet { children[element] ?? FieldSet() }

    public func union(_ other: FieldSet) -> FieldSet {
        var out = self
        out.members.formUnion(other.members)
        for (pe, c) in other.children { out.children[pe] = (out.children[pe] ?? FieldSet()).union(c) }
        return out
    }

    public func intersection(_ other: FieldSet) -> FieldSet {
        var out = FieldSet()
        out.members = members.intersection(other.members)
        for (pe, c) in children {
            guard let oc = other.children[pe] else { continue }
            let i = c.intersection(oc)
            if !i.isEmpty { out.children[pe] = i }
        }
        return out
    }

    /// Removes the paths of `other` exactly: a member of `other` does not remove this set's deeper paths.
    public func subtracting(_ other: FieldSet) -> FieldSet {
        var out = FieldSet()
        out.members = members.subtracting(other.members)
        for (pe, c) in children {
            if let oc = other.children[pe] {
                let d = c.subtracting(oc)
                if !d.isEmpty { out.children[pe] = d }
            } else {
                out.children[pe] = c
            }
        }
        return out
    }

    /// Removes the paths of `other` and everything below any member of `other`.
    public func recursivelySubtracting(_ other: FieldSet) -> FieldSet {
        var out = FieldSet()
        out.members = members.subtracting(other.members)
        for (pe, c) in children where !other.members.contains(pe) {
            let d = other.children[pe].map { c.recursivelySubtracting($0) } ?? c
            if !d.isEmpty { out.children[pe] = d }
        }
        return out
    }

    /// Every path in upstream iteration order: at each level the members (sorted), then each child.
    public var paths: [FieldPath] {
        var out: [FieldPath] = []
        collect(prefix: [], into: &out)
        return out
    }

    private func collect(prefix: FieldPath, into out: inout [FieldPath]) {
        for m in members.sorted() { out.append(prefix + [m]) }
        for pe in children.keys.sorted() { children[pe]!.collect(prefix: prefix + [pe], into: &out) }
    }

    /// Internal mutation used by the apply engine (ensure named fields are members).
    mutating func insertMember(_ pe: FieldPathElement) { members.insert(pe) }
    mutating func setChild(_ pe: FieldPathElement, _ set: FieldSet) {
        children[pe] = set.isEmpty ? nil : set
    }
}

// MARK: - FieldsV1

extension FieldSet {
    /// The FieldsV1 JSON form stored in `managedFields[].fieldsV1`.
    public var fieldsV1: JSON { .object(fieldsV1Contents(includeSelf: false)) }

    private func fieldsV1Contents(includeSelf: Bool) -> [String: JSON] {
        var out: [String: JSON] = [:]
        if includeSelf { out["."] = .object([:]) }
        for m in members where children[m] == nil { out[m.fieldsV1Key] = .object([:]) }
        for (pe, c) in children { out[pe.fieldsV1Key] = .object(c.fieldsV1Contents(includeSelf: members.contains(pe))) }
        return out
    }

    /// Decodes FieldsV1 JSON. Unknown element prefixes are skipped, as upstream does.
    public init(fieldsV1: JSON) throws(FieldSetError) {
        guard case .object(let o) = fieldsV1 else { throw .notAnObject(path: "") }
        self = try FieldSet.parseLevel(o, path: "").children ?? FieldSet()
    }

    /// Returns the set found below this level (nil if none) and whether this level is itself a member.
    private static func parseLevel(_ o: [String: JSON], path: String) throws(FieldSetError) -> (children: FieldSet?, isMember: Bool) {
        var result: FieldSet?
        var isMember = false
        for (k, v) in o {
            if k == "." { isMember = true; continue }
            guard let pe = try FieldPathElement(fieldsV1Key: k) else { continue }
            guard case .object(let sub) = v else { throw .notAnObject(path: path + "/" + k) }
            let (grand, childIsMember) = try parseLevel(sub, path: path + "/" + k)
            if childIsMember { result = result ?? FieldSet(); result!.members.insert(pe) }
            if let grand { result = result ?? FieldSet(); result!.children[pe] = grand }
        }
        // An object with no path entries (`{}`) marks a leaf member.
        if result == nil { isMember = true }
        return (result, isMember)
    }
}

// MARK: - JSON helpers (prefixed to avoid clashing with other areas' extensions)

extension JSON {
    /// Integral doubles become ints, so values that compare equal upstream hash equally here.
    var applyNormalizedNumbers: JSON {
        switch self {
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return .int(Int64(d))
        case .array(let a): return .array(a.map(\.applyNormalizedNumbers))
        case .object(let o): return .object(o.mapValues(\.applyNormalizedNumbers))
        default: return self
        }
    }

    /// Deep equality where ints and doubles compare numerically (structured-merge-diff's `value.Equals`).
    func applyEquals(_ other: JSON) -> Bool {
        switch (self, other) {
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.applyEquals($1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (k, v) in a { guard let w = b[k], v.applyEquals(w) else { return false } }
            return true
        default: return self == other
        }
    }

    /// Total order of structured-merge-diff's `value.Compare`: numbers, strings, bools, lists, maps, null.
    func applyCompare(_ other: JSON) -> Int {
        func rank(_ v: JSON) -> Int {
            switch v {
            case .int, .double: return 0
            case .string: return 1
            case .bool: return 2
            case .array: return 3
            case .object: return 4
            case .null: return 5
            }
        }
        let (ra, rb) = (rank(self), rank(other))
        if ra != rb { return ra < rb ? -1 : 1 }
        switch (self, other) {
        case (.int(let a), .int(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        case (.int, _), (.double, _):
            let a = self.applyDouble, b = other.applyDouble
            return a < b ? -1 : (a == b ? 0 : 1)
        case (.string(let a), .string(let b)): return JSON.applyCompareBytes(a, b)
        case (.bool(let a), .bool(let b)): return a == b ? 0 : (!a ? -1 : 1)
        case (.array(let a), .array(let b)):
            for i in 0..<max(a.count, b.count) {
                if i >= a.count { return -1 }
                if i >= b.count { return 1 }
                let c = a[i].applyCompare(b[i])
                if c != 0 { return c }
            }
            return 0
        case (.object(let a), .object(let b)):
            let ka = a.keys.sorted { JSON.applyCompareBytes($0, $1) < 0 }
            let kb = b.keys.sorted { JSON.applyCompareBytes($0, $1) < 0 }
            for i in 0..<max(ka.count, kb.count) {
                if i >= ka.count { return -1 }
                if i >= kb.count { return 1 }
                let c = JSON.applyCompareBytes(ka[i], kb[i])
                if c != 0 { return c }
                let v = a[ka[i]]!.applyCompare(b[kb[i]]!)
                if v != 0 { return v }
            }
            return 0
        default: return 0
        }
    }

    private var applyDouble: Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return 0
        }
    }

    /// Byte-wise string order, as Go's `strings.Compare`.
    static func applyCompareBytes(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }

    /// The value as Go's `value.ToString` prints it inside conflict paths (strings quoted like `%q`).
    var applyGoString: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e21 ? String(Int64(exactly: d) ?? 0) : "\(d)"
        case .string(let s): return JSON.applyGoQuote(s)
        case .array(let a): return "[" + a.map(\.applyGoString).joined(separator: ",") + "]"
        case .object(let o):
            return o.keys.sorted { JSON.applyCompareBytes($0, $1) < 0 }.map { "\($0)=\(o[$0]!.applyGoString)" }.joined()
        }
    }

    /// Go's `strconv.Quote` (shared with validation messages).
    static func applyGoQuote(_ s: String) -> String { ValidationGo.quote(s) }
}
