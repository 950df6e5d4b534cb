import Foundation

/// Errors from `JSON.parse`.
public enum JSONParseError: Error, Equatable, CustomStringConvertible {
    case syntax(offset: Int, message: String)

    public var description: String {
        switch self {
        case .syntax(let offset, let message): return "\(message) at offset \(offset)"
        }
    }
}

extension JSON {
    /// Parses JSON text. Duplicate object keys keep the last value (as encoding/json does) and their
    /// paths are appended to `duplicates`, which strict field validation reports.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, duplicates: inout [String]) throws -> JSON {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { buf in
            var p = Parser(buf: buf, pos: 0)
            p.skipWS()
            let v = try p.value(path: "", duplicates: &duplicates, depth: 0)
            p.skipWS()
            if p.pos != buf.count { throw p.error("invalid character after top-level value") }
            return v
        }
    }

    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws -> JSON {
        var d: [String] = []
        return try parse(bytes, duplicates: &d)
    }

    public static func parse(_ text: String) throws -> JSON { try parse(Array(text.utf8)) }

    private struct Parser {
        let buf: UnsafeBufferPointer<UInt8>
        var pos: Int

        func error(_ m: String) -> JSONParseError { .syntax(offset: pos, message: m) }

        mutating func skipWS() {
            while pos < buf.count {
                switch buf[pos] {
                case 0x20, 0x09, 0x0A, 0x0D: pos += 1
                default: return
                }
            }
        }

        mutating func value(path: String, duplicates: inout [String], depth: Int) throws -> JSON {
            guard depth < 512 else { throw error("exceeded max depth") }
            guard pos < buf.count else { throw error("unexpected end of JSON input") }
            switch buf[pos] {
            case UInt8(ascii: "{"):
                pos += 1
                var o: [String: JSON] = [:]
                skipWS()
                if pos < buf.count, buf[pos] == UInt8(ascii: "}") { pos += 1; return .object(o) }
                while true {
                    skipWS()
                    guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else {
                        throw error("invalid character looking for beginning of object key string")
                    }
                    let k = try string()
                    skipWS()
                    guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw error("invalid character after object key") }
                    pos += 1
                    skipWS()
                    let childPath = path.isEmpty ? k : path + "." + k
                    let v = try value(path: childPath, duplicates: &duplicates, depth: depth + 1)
                    if o.updateValue(v, forKey: k) != nil { duplicates.append(childPath) }
                    skipWS()
                    guard pos < buf.count else { throw error("unexpected end of JSON input") }
                    if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if buf[pos] == UInt8(ascii: "}") { pos += 1; return .object(o) }
                    throw error("invalid character after object key:value pair")
                }
            case UInt8(ascii: "["):
                pos += 1
                var a: [JSON] = []
                skipWS()
                if pos < buf.count, buf[pos] == UInt8(ascii: "]") { pos += 1; return .array(a) }
                while true {
                    skipWS()
                    a.append(try value(path: path, duplicates: &duplicates, depth: depth + 1))
                    skipWS()
                    guard pos < buf.count else { throw error("unexpected end of JSON input") }
                    if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if buf[pos] == UInt8(ascii: "]") { pos += 1; return .array(a) }
                    throw error("invalid character after array element")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default:
                return try number()
            }
        }

        mutating func literal(_ s: String) throws {
            let u = Array(s.utf8)
            guard pos + u.count <= buf.count else { throw error("unexpected end of JSON input") }
            for i in 0..<u.count where buf[pos + i] != u[i] { throw error("invalid literal") }
            pos += u.count
        }

        mutating func number() throws -> JSON {
            let start = pos
            var isFloat = false
            if pos < buf.count, buf[pos] == UInt8(ascii: "-") { pos += 1 }
            var digits = 0
            while pos < buf.count {
                let c = buf[pos]
                if c >= 0x30 && c <= 0x39 { digits += 1; pos += 1 }
                else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                    || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && isFloat) { isFloat = true; pos += 1 }
                else { break }
            }
            guard digits > 0 else { pos = start; throw error("invalid character looking for beginning of value") }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
            if !isFloat, let i = Int64(text) { return .int(i) }
            guard let d = Double(text) else { throw error("invalid number \(text)") }
            return .double(d)
        }

        mutating func hex4() throws -> UInt32 {
            guard pos + 4 <= buf.count else { throw error("unexpected end of JSON input") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = buf[pos]; pos += 1
                v <<= 4
                switch c {
                case 0x30...0x39: v |= UInt32(c - 0x30)
                case 0x41...0x46: v |= UInt32(c - 0x41 + 10)
                case 0x61...0x66: v |= UInt32(c - 0x61 + 10)
                default: throw error("invalid character in \\u hexadecimal character escape")
                }
            }
            return v
        }

        mutating func string() throws -> String {
            pos += 1  // opening quote
            let start = pos
            // Fast path: no escapes.
            while pos < buf.count {
                let c = buf[pos]
                if c == UInt8(ascii: "\"") {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
                    pos += 1
                    return s
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw error("invalid character in string literal") }
                pos += 1
            }
            var bytes = Array(buf[start..<pos])
            while pos < buf.count {
                let c = buf[pos]
                if c == UInt8(ascii: "\"") { pos += 1; return String(decoding: bytes, as: UTF8.self) }
                if c < 0x20 { throw error("invalid character in string literal") }
                if c != UInt8(ascii: "\\") { bytes.append(c); pos += 1; continue }
                pos += 1
                guard pos < buf.count else { break }
                let e = buf[pos]; pos += 1
                switch e {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00, pos + 6 <= buf.count,
                        buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u")
                    {
                        pos += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else { scalar = 0xFFFD }
                    }
                    let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    bytes.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw error("invalid character in string escape code")
                }
            }
            throw error("unexpected end of JSON input")
        }
    }

    /// Compact JSON with sorted object keys (stable bytes for hashing, storage and comparisons).
    public func serialized() -> String {
        let bytes = serializedBytes()
        return String(decoding: bytes, as: UTF8.self)
    }

    public func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(to: &out)
        return out
    }

    /// Appends the compact form to `out` (UTF-8), object keys in `String` order.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): JSON.writeInt(i, to: &out)
        case .double(let d):
            if d.isFinite, d == d.rounded(), abs(d) < 1e15 { JSON.writeInt(Int64(d), to: &out) }
            else if d.isFinite { out.append(contentsOf: "\(d)".utf8) }
            else { out.append(contentsOf: "null".utf8) }
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSON.writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeInt(_ i: Int64, to out: inout [UInt8]) {
        if i >= 0 && i < 10 { out.append(UInt8(ascii: "0") + UInt8(i)); return }
        out.append(contentsOf: String(i).utf8)
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var needsEscape = false
            for b in utf8 where b < 0x20 || b == 0x22 || b == 0x5C || b == 0x3C || b == 0x3E || b == 0x26 {
                needsEscape = true
                break
            }
            if !needsEscape { out.append(contentsOf: utf8); return }
            for b in utf8 {
                switch b {
                case 0x22: out.append(contentsOf: "\\\"".utf8)
                case 0x5C: out.append(contentsOf: "\\\\".utf8)
                case 0x0A: out.append(contentsOf: "\\n".utf8)
                case 0x0D: out.append(contentsOf: "\\r".utf8)
                case 0x09: out.append(contentsOf: "\\t".utf8)
                // encoding/json escapes these for HTML safety; kubectl's last-applied annotation keeps them.
                case 0x3C: out.append(contentsOf: "\\u003c".utf8)
                case 0x3E: out.append(contentsOf: "\\u003e".utf8)
                case 0x26: out.append(contentsOf: "\\u0026".utf8)
                case 0..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(hex[Int(b >> 4)])
                    out.append(hex[Int(b & 0xF)])
                default:
                    out.append(b)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
