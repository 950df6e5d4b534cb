/// A parsed label selector (`k=v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`, `k>1`, `k<1`),
/// as apimachinery's `labels.Parse` accepts it. Terms are ANDed.
public struct LabelSelector: Sendable, Equatable {
    public enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, [String])
        case notIn(String, [String])
        case exists(String)
        case doesNotExist(String)
        case greaterThan(String, Int64)
        case lessThan(String, Int64)
    }

    public var requirements: [Requirement]

    public init(requirements: [Requirement]) { self.requirements = requirements }

    public enum ParseError: Error, Equatable { case invalid(String) }

    public static func parse(_ text: String) throws(ParseError) -> LabelSelector {
        var reqs: [Requirement] = []
        var s = Substring(text)
        func skipSpaces() { while s.first == " " { s.removeFirst() } }
        func readKey() -> String {
            skipSpaces()
            var k = ""
            while let c = s.first, !" =!<>(),".contains(c) { k.append(c); s.removeFirst() }
            return k
        }
        func readValue() -> String {
            skipSpaces()
            var v = ""
            while let c = s.first, !" ,()".contains(c) { v.append(c); s.removeFirst() }
            return v
        }
        skipSpaces()
        if s.isEmpty { return LabelSelector(requirements: []) }
        while true {
            skipSpaces()
            if s.first == "!" {
                s.removeFirst()
                let k = readKey()
                guard !k.isEmpty else { throw .invalid("found '\(s.first.map(String.init) ?? "")', expected: identifier") }
                reqs.append(.doesNotExist(k))
            } else {
                let k = readKey()
                guard !k.isEmpty else {
                    throw .invalid("found '\(s.first.map(String.init) ?? "")', expected: !, identifier, or 'end of string'")
                }
                skipSpaces()
                if s.hasPrefix("==") { s.removeFirst(2); reqs.append(.equals(k, readValue())) }
                else if s.hasPrefix("!=") { s.removeFirst(2); reqs.append(.notEquals(k, readValue())) }
                else if s.hasPrefix("=") { s.removeFirst(); reqs.append(.equals(k, readValue())) }
                else if s.hasPrefix(">") || s.hasPrefix("<") {
                    let gt = s.first == ">"
                    s.removeFirst()
                    let v = readValue()
                    guard let n = Int64(v) else { throw .invalid("for 'Gt', 'Lt' operators, the value must be an integer") }
                    reqs.append(gt ? .greaterThan(k, n) : .lessThan(k, n))
                } else if s.hasPrefix("in ") || s.hasPrefix("in(") || s.hasPrefix("notin ") || s.hasPrefix("notin(") {
                    let notIn = s.hasPrefix("notin")
                    s.removeFirst(notIn ? 5 : 2)
                    skipSpaces()
                    guard s.first == "(" else { throw .invalid("found '\(s.first.map(String.init) ?? "")', expected: '('") }
                    s.removeFirst()
                    var values: [String] = []
                    while true {
                        let v = readValue()
                        skipSpaces()
                        values.append(v)
                        if s.first == "," { s.removeFirst(); continue }
                        if s.first == ")" { s.removeFirst(); break }
                        throw .invalid("found '\(s.first.map(String.init) ?? "")', expected: ',', or ')'")
                    }
                    reqs.append(notIn ? .notIn(k, values) : .in(k, values))
                } else {
                    reqs.append(.exists(k))
                }
            }
            skipSpaces()
            if s.isEmpty { break }
            guard s.first == "," else { throw .invalid("found '\(s.first.map(String.init) ?? "")', expected: ',' or 'end of string'") }
            s.removeFirst()
        }
        return LabelSelector(requirements: reqs)
    }

    /// Whether a label map satisfies every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        for r in requirements {
            switch r {
            case .equals(let k, let v): if labels[k] != v { return false }
            case .notEquals(let k, let v): if labels[k] == v { return false }
            case .in(let k, let vs): guard let l = labels[k], vs.contains(l) else { return false }
            case .notIn(let k, let vs): if let l = labels[k], vs.contains(l) { return false }
            case .exists(let k): if labels[k] == nil { return false }
            case .doesNotExist(let k): if labels[k] != nil { return false }
            case .greaterThan(let k, let n): guard let l = labels[k].flatMap({ Int64($0) }), l > n else { return false }
            case .lessThan(let k, let n): guard let l = labels[k].flatMap({ Int64($0) }), l < n else { return false }
            }
        }
        return true
    }

    /// Matches a `metav1.LabelSelector` JSON object (`matchLabels`, `matchExpressions`).
    public static func fromLabelSelectorJSON(_ j: JSON) -> LabelSelector {
        var reqs: [Requirement] = []
        for (k, v) in (j["matchLabels"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            reqs.append(.equals(k, v.stringValue ?? ""))
        }
        for e in j["matchExpressions"]?.arrayValue ?? [] {
            let k = e["key"]?.stringValue ?? ""
            let vals = (e["values"]?.arrayValue ?? []).compactMap(\.stringValue)
            switch e["operator"]?.stringValue {
            case "In": reqs.append(.in(k, vals))
            case "NotIn": reqs.append(.notIn(k, vals))
            case "Exists": reqs.append(.exists(k))
            case "DoesNotExist": reqs.append(.doesNotExist(k))
            default: break
            }
        }
        return LabelSelector(requirements: reqs)
    }
}

/// A parsed field selector: `a=b`, `a==b`, `a!=b` joined by `,`, with `\` escapes.
public struct FieldSelector: Sendable, Equatable {
    public struct Term: Sendable, Equatable {
        public var field: String
        public var value: String
        public var negated: Bool
    }

    public var terms: [Term]

    public enum ParseError: Error, Equatable { case invalid(String) }

    public static func parse(_ text: String) throws(ParseError) -> FieldSelector {
        if text.isEmpty { return FieldSelector(terms: []) }
        // Split on unescaped commas.
        var parts: [String] = []
        var cur = ""
        var escaped = false
        for c in text {
            if escaped { cur.append("\\"); cur.append(c); escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "," { parts.append(cur); cur = ""; continue }
            cur.append(c)
        }
        parts.append(cur)
        var terms: [Term] = []
        for p in parts {
            // Find the first unescaped operator.
            let chars = Array(p)
            var i = 0
            var found: (Int, Int, Bool)? = nil
            while i < chars.count {
                if chars[i] == "\\" { i += 2; continue }
                if chars[i] == "!" && i + 1 < chars.count && chars[i + 1] == "=" { found = (i, 2, true); break }
                if chars[i] == "=" {
                    found = (i, (i + 1 < chars.count && chars[i + 1] == "=") ? 2 : 1, false)
                    break
                }
                i += 1
            }
            guard let (at, len, neg) = found else { throw .invalid("invalid selector: '\(text)'; can't understand '\(p)'") }
            let field = unescape(String(chars[0..<at]))
            let value = unescape(String(chars[(at + len)...]))
            terms.append(Term(field: field, value: value, negated: neg))
        }
        return FieldSelector(terms: terms)
    }

    private static func unescape(_ s: String) -> String {
        var out = ""
        var esc = false
        for c in s {
            if esc { out.append(c); esc = false; continue }
            if c == "\\" { esc = true; continue }
            out.append(c)
        }
        return out
    }

    public func matches(_ fields: [String: String]) -> Bool {
        for t in terms {
            let v = fields[t.field] ?? ""
            if t.negated ? (v == t.value) : (v != t.value) { return false }
        }
        return true
    }
}

extension ResourceType {
    /// The field-selector label set of `object` (kube-apiserver's `GetAttrs`/`ToSelectableFields`).
    public func selectableFields(of object: JSON) -> [String: String] {
        var f: [String: String] = [
            "metadata.name": object.at("metadata", "name")?.stringValue ?? "",
        ]
        if namespaced { f["metadata.namespace"] = object.at("metadata", "namespace")?.stringValue ?? "" }
        for label in fieldLabels {
            let path = label.split(separator: ".").map(String.init)
            switch object.at(path) {
            case .string(let s): f[label] = s
            case .bool(let b): f[label] = b ? "true" : "false"
            case .int(let i): f[label] = String(i)
            case .array(let a) where label == "status.podIPs":
                f[label] = a.first?["ip"]?.stringValue ?? ""
            case .object(let o) where label == "source":
                f[label] = o["component"]?.stringValue ?? ""
            default: f[label] = ""
            }
        }
        return f
    }
}
