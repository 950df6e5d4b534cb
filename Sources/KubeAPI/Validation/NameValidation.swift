import Foundation

/// apimachinery's string checks (`k8s.io/apimachinery/pkg/util/validation`): each returns the list of
/// problem descriptions upstream returns, in upstream's order, empty when the value is valid.
public enum NameValidation {
    static let dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123LabelErrMsg =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    static let dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
    static let dns1123SubdomainErrMsg =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    static let dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?"
    static let dns1035LabelErrMsg =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
    static let wildcardFmt = "\\*\\." + dns1123SubdomainFmt
    static let wildcardErrMsg =
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character"
    static let qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let qualifiedNameErrMsg =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let labelValueFmt = "(" + qualifiedNameFmt + ")?"
    static let labelValueErrMsg =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let configMapKeyFmt = "[-._a-zA-Z0-9]+"
    static let configMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"

    /// Upstream's `RegexError`, including its doubled space after the first example.
    static func regexError(_ msg: String, _ fmt: String, _ examples: String...) -> String {
        if examples.isEmpty { return msg + " (regex used for validation is '" + fmt + "')" }
        var out = msg + " (e.g. "
        for (i, e) in examples.enumerated() {
            if i > 0 { out += " or " }
            out += "'" + e + "', "
        }
        return out + "regex used for validation is '" + fmt + "')"
    }

    static func maxLenError(_ n: Int) -> String { "must be no more than \(n) characters" }
    static func inclusiveRangeError(_ lo: Int, _ hi: Int) -> String { "must be between \(lo) and \(hi), inclusive" }
    static let emptyError = "must be non-empty"

    // MARK: character classes (ASCII only, as Go's regexps are)

    private static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
    private static func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (c >= 65 && c <= 90) }
    private static func isLower(_ c: UInt8) -> Bool { c >= 97 && c <= 122 }

    static func matchesDNS1123Label(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, let l = b.last, isLowerAlnum(f), isLowerAlnum(l) else { return false }
        return b.allSatisfy { isLowerAlnum($0) || $0 == 45 }
    }

    static func matchesDNS1123Subdomain(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { matchesDNS1123Label(String($0)) }
    }

    static func matchesDNS1035Label(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, let l = b.last, isLower(f), isLowerAlnum(l) else { return false }
        return b.allSatisfy { isLowerAlnum($0) || $0 == 45 }
    }

    static func matchesQualifiedNamePart(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, let l = b.last, isAlnum(f), isAlnum(l) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }

    // MARK: public checks

    /// RFC 1123 label (namespace names, port names): at most 63 characters of `[a-z0-9-]`.
    public static func dns1123Label(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 63 { errs.append(maxLenError(63)) }
        if !matchesDNS1123Label(value) {
            if matchesDNS1123Subdomain(value) {
                errs.append("must not contain dots")
            } else {
                errs.append(regexError(dns1123LabelErrMsg, dns1123LabelFmt, "my-name", "123-abc"))
            }
        }
        return errs
    }

    /// RFC 1123 subdomain (most object names): at most 253 characters of dot-separated labels.
    public static func dns1123Subdomain(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 253 { errs.append(maxLenError(253)) }
        if !matchesDNS1123Subdomain(value) {
            errs.append(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, "example.com"))
        }
        return errs
    }

    /// RFC 1035 label (Service names): like a 1123 label but must start with a letter.
    public static func dns1035Label(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 63 { errs.append(maxLenError(63)) }
        if !matchesDNS1035Label(value) {
            errs.append(regexError(dns1035LabelErrMsg, dns1035LabelFmt, "my-name", "abc-123"))
        }
        return errs
    }

    /// `*.` followed by a DNS-1123 subdomain (Ingress wildcard hosts).
    public static func wildcardDNS1123Subdomain(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 253 { errs.append(maxLenError(253)) }
        if !(value.hasPrefix("*.") && matchesDNS1123Subdomain(String(value.dropFirst(2)))) {
            errs.append(regexError(wildcardErrMsg, wildcardFmt, "*.example.com"))
        }
        return errs
    }

    /// A qualified name (label keys, annotation keys, finalizers): optional DNS-subdomain prefix and `/`,
    /// then a name of at most 63 alphanumerics, `-`, `_`, `.`.
    public static func qualifiedName(_ value: String) -> [String] {
        var errs: [String] = []
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name: String
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errs.append("prefix part " + emptyError)
            } else {
                errs += dns1123Subdomain(prefix).map { "prefix part " + $0 }
            }
        default:
            return [
                "a qualified name "
                    + regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ]
        }
        if name.isEmpty {
            errs.append("name part " + emptyError)
        } else if name.utf8.count > 63 {
            errs.append("name part " + maxLenError(63))
        }
        if !matchesQualifiedNamePart(name) {
            errs.append(
                "name part " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc"))
        }
        return errs
    }

    /// A label value: empty, or at most 63 alphanumerics, `-`, `_`, `.` starting and ending alphanumeric.
    public static func labelValue(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 63 { errs.append(maxLenError(63)) }
        if !(value.isEmpty || matchesQualifiedNamePart(value)) {
            errs.append(regexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"))
        }
        return errs
    }

    /// An IANA_SVC_NAME (named container/target ports): at most 15 of `[-a-z0-9]`, at least one letter,
    /// no `--`, no leading or trailing `-`.
    public static func portName(_ port: String) -> [String] {
        var errs: [String] = []
        let b = Array(port.utf8)
        if b.count > 15 { errs.append(maxLenError(15)) }
        if b.isEmpty || !b.allSatisfy({ isLowerAlnum($0) || $0 == 45 }) {
            errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !b.contains(where: isLower) { errs.append("must contain at least one letter (a-z)") }
        if port.contains("--") { errs.append("must not contain consecutive hyphens") }
        if let f = b.first, let l = b.last, f == 45 || l == 45 { errs.append("must not begin or end with a hyphen") }
        return errs
    }

    /// A port number in 1...65535.
    public static func portNumber(_ port: Int64) -> [String] {
        (1...65535).contains(port) ? [] : [inclusiveRangeError(1, 65535)]
    }

    /// A ConfigMap/Secret data key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.`/`..`/`..*`.
    public static func configMapKey(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 253 { errs.append(maxLenError(253)) }
        let b = Array(value.utf8)
        if b.isEmpty || !b.allSatisfy({ isAlnum($0) || $0 == 45 || $0 == 46 || $0 == 95 }) {
            errs.append(regexError(configMapKeyErrMsg, configMapKeyFmt, "key.name", "KEY_NAME", "key-name"))
        }
        if value == "." {
            errs.append("must not be '.'")
        } else if value == ".." {
            errs.append("must not be '..'")
        } else if value.hasPrefix("..") {
            errs.append("must not start with '..'")
        }
        return errs
    }

    /// `ValidateNameFunc` semantics: when checking a `generateName` prefix, a trailing `-` is masked.
    static func maskTrailingDash(_ name: String) -> String {
        guard name.utf8.count > 1, name.hasSuffix("-") else { return name }
        return String(name.dropLast(2)) + "a"
    }

    /// Path-segment names (used for kinds whose names only need to be URL-safe, e.g. Events).
    public static func pathSegmentName(_ name: String, prefix: Bool) -> [String] {
        if !prefix {
            if name == "." { return ["may not be '.'"] }
            if name == ".." { return ["may not be '..'"] }
        }
        var errs: [String] = []
        if name.contains("/") { errs.append("may not contain '/'") }
        if name.contains("%") { errs.append("may not contain '%'") }
        return errs
    }
}

// MARK: - IP addresses and CIDRs

/// A parsed IPv4 or IPv6 address, accepted as Go's `netutils.ParseIPSloppy` accepts it (IPv4 parts
/// may carry leading zeros; IPv4-mapped IPv6 counts as IPv4, as `net.IP.To4` does).
public struct ParsedIP: Sendable, Hashable {
    /// 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8]
    /// Whether this is an IPv4 address (including IPv4-mapped IPv6 input).
    public var isIPv4: Bool { bytes.count == 4 }
    /// `IPv4` or `IPv6`, as Service `ipFamilies` spell it.
    public var family: String { isIPv4 ? "IPv4" : "IPv6" }

    /// Wraps raw bytes (4 or 16 of them).
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Parses a textual address; nil when it is not one (zones such as `%eth0` are rejected, as in Go).
    public init?(_ text: String) {
        if text.contains(":") {
            guard let b = ParsedIP.parseIPv6(text) else { return nil }
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {
                bytes = Array(b[12..<16])
            } else {
                bytes = b
            }
        } else {
            guard let b = ParsedIP.parseIPv4(text) else { return nil }
            bytes = b
        }
    }

    static func parseIPv4(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.utf8.count <= 3, p.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let v = Int(p), v <= 255
            else { return nil }
            out.append(UInt8(v))
        }
        return out
    }

    static func parseIPv6(_ s: String) -> [UInt8]? {
        var text = Substring(s)
        var tail: [UInt8] = []
        // An embedded dotted IPv4 address supplies the last 32 bits.
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = parseIPv4(String(text[text.index(after: lastColon)...])) else { return nil }
            tail = v4
            text = text[...lastColon]
            if text.hasSuffix("::") {
                // keep "::" intact
            } else {
                text = text.dropLast()
            }
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.utf8.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        let tailGroupsNeeded = tail.isEmpty ? 8 : 6
        var all: [UInt16]
        if halves.count == 2 {
            guard let rest = groups(halves[1]) else { return nil }
            let missing = tailGroupsNeeded - head.count - rest.count
            guard missing >= 1 else { return nil }
            all = head + Array(repeating: 0, count: missing) + rest
        } else {
            guard head.count == tailGroupsNeeded else { return nil }
            all = head
        }
        var out: [UInt8] = []
        for g in all { out += [UInt8(g >> 8), UInt8(g & 0xff)] }
        return out + tail
    }

    /// Go's `net.IP.String()`: dotted quad, or RFC 5952 compressed IPv6.
    public var text: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [UInt16] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])) }
        // Longest run of at least two zero groups, first one on ties.
        var bestStart = -1
        var bestLen = 0
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 {
                    bestStart = i
                    bestLen = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ r: ArraySlice<UInt16>) -> String { r.map { String($0, radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(groups[...]) }
        return hex(groups[0..<bestStart]) + "::" + hex(groups[(bestStart + bestLen)...])
    }

    var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }
    var isLoopback: Bool {
        isIPv4 ? bytes[0] == 127 : (bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1)
    }
    var isLinkLocalUnicast: Bool {
        isIPv4 ? (bytes[0] == 169 && bytes[1] == 254) : (bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80)
    }
    var isLinkLocalMulticast: Bool {
        isIPv4 ? (bytes[0] == 224 && bytes[1] == 0 && bytes[2] == 0) : (bytes[0] == 0xff && bytes[1] & 0x0f == 0x02)
    }
    var isMulticast: Bool { isIPv4 ? bytes[0] & 0xf0 == 0xe0 : bytes[0] == 0xff }
}

/// A parsed CIDR (`ParseCIDRSloppy`): the address with host bits cleared and the prefix length.
public struct ParsedCIDR: Sendable, Hashable {
    /// The network address (host bits cleared).
    public var network: ParsedIP
    /// The prefix length in bits.
    public var prefixLength: Int

    /// Parses `addr/len`; nil when malformed or the length exceeds the family's width. An IPv4-mapped
    /// IPv6 address is not accepted here, since its prefix length would be ambiguous.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, parts[1].utf8.count <= 3,
            parts[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let len = Int(parts[1])
        else { return nil }
        let addrText = String(parts[0])
        let raw: [UInt8]
        if addrText.contains(":") {
            guard let b = ParsedIP.parseIPv6(addrText), len <= 128 else { return nil }
            raw = b
        } else {
            guard let b = ParsedIP.parseIPv4(addrText), len <= 32 else { return nil }
            raw = b
        }
        var masked = raw
        for i in 0..<masked.count {
            let bitsHere = max(0, min(8, len - i * 8))
            let mask: UInt8 = bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsHere))
            masked[i] &= mask
        }
        network = ParsedIP(bytes: masked)
        prefixLength = len
    }

    /// Whether `ip` (same family) falls inside this network.
    public func contains(_ ip: ParsedIP) -> Bool {
        guard ip.bytes.count == network.bytes.count else { return false }
        for i in 0..<ip.bytes.count {
            let bitsHere = max(0, min(8, prefixLength - i * 8))
            let mask: UInt8 = bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsHere))
            if ip.bytes[i] & mask != network.bytes[i] { return false }
        }
        return true
    }

    /// Go's `IPNet.String()`: the masked network and prefix length.
    public var text: String { "\(network.text)/\(prefixLength)" }
}
