/// Why a Kubernetes protobuf body could not be decoded. Offsets count bytes from the start of the body
/// (including the `k8s\0` magic); field paths use the JSON names, e.g. `spec.ports[0].port`.
public enum ProtobufError: Error, Equatable {
    /// The body is empty or holds nothing but the magic prefix.
    case emptyBody
    /// The body does not start with `k8s\0`.
    case missingMagic
    /// A varint or fixed-width value runs past the end of its message.
    case truncated(offset: Int)
    /// A varint is longer than ten bytes.
    case varintOverflow(offset: Int)
    /// A length-delimited field claims more bytes than its message has left.
    case lengthPastEnd(offset: Int, length: UInt64)
    /// A tag with field number 0 or above 2^29-1.
    case invalidFieldNumber(offset: Int, fieldNumber: UInt64)
    /// Wire types 3, 4 (groups, never used by Kubernetes), 6 and 7.
    case invalidWireType(offset: Int, wireType: UInt8)
    /// A known field arrived with a wire type its schema does not allow.
    case wrongWireType(field: String, wireType: UInt8)
    /// The envelope's `typeMeta.kind` is empty.
    case missingKind
    /// The envelope's `typeMeta.apiVersion` is empty.
    case missingAPIVersion
    /// The envelope names a kind Ferry has no schema for.
    case unknownKind(apiVersion: String, kind: String)
    /// The envelope's `contentEncoding` is set; Kubernetes clients never compress the inner object.
    case unsupportedContentEncoding(String)
    /// An IntOrString whose `type` is neither 0 (int) nor 1 (string).
    case invalidIntOrString(field: String, type: Int64)
    /// A FieldsV1 whose raw bytes are not valid JSON.
    case invalidFieldsV1(field: String)

    /// A one-line description suitable for a `Status.message`.
    public var message: String {
        switch self {
        case .emptyBody:
            return "empty body"
        case .missingMagic:
            return "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        case .truncated(let offset):
            return "proto: unexpected EOF at offset \(offset)"
        case .varintOverflow(let offset):
            return "proto: integer overflow at offset \(offset)"
        case .lengthPastEnd(let offset, let length):
            return "proto: length \(length) at offset \(offset) runs past the end of the message"
        case .invalidFieldNumber(let offset, let fieldNumber):
            return "proto: illegal field number \(fieldNumber) at offset \(offset)"
        case .invalidWireType(let offset, let wireType):
            return "proto: illegal wireType \(wireType) at offset \(offset)"
        case .wrongWireType(let field, let wireType):
            return "proto: wrong wireType = \(wireType) for field \(field)"
        case .missingKind:
            return "Object 'Kind' is missing in protobuf envelope"
        case .missingAPIVersion:
            return "Object 'apiVersion' is missing in protobuf envelope"
        case .unknownKind(let apiVersion, let kind):
            return "no kind \"\(kind)\" is registered for version \"\(apiVersion)\""
        case .unsupportedContentEncoding(let encoding):
            return "unsupported protobuf content encoding \"\(encoding)\""
        case .invalidIntOrString(let field, let type):
            return "invalid IntOrString type \(type) for field \(field)"
        case .invalidFieldsV1(let field):
            return "invalid JSON in FieldsV1 for field \(field)"
        }
    }

    /// Puts the enclosing field's name in front of the path of a field-level error, so errors raised
    /// deep in a message read `spec.ports[0].port` without every level building paths eagerly.
    func prefixed(with parent: String) -> ProtobufError {
        func join(_ child: String) -> String {
            if parent.isEmpty { return child }
            if child.isEmpty { return parent }
            return child.hasPrefix("[") ? parent + child : parent + "." + child
        }
        switch self {
        case .wrongWireType(let field, let wireType): return .wrongWireType(field: join(field), wireType: wireType)
        case .invalidIntOrString(let field, let type): return .invalidIntOrString(field: join(field), type: type)
        case .invalidFieldsV1(let field): return .invalidFieldsV1(field: join(field))
        default: return self
        }
    }
}

/// The four wire types protobuf messages from Kubernetes can contain.
enum ProtobufWireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}

/// A cursor over one protobuf message inside a shared byte buffer. Nested messages are read by making
/// a new reader over the range returned by `readLengthDelimited()`, so no bytes are copied and error
/// offsets stay relative to the whole body.
struct ProtobufReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    init(_ bytes: [UInt8]) { self.init(bytes, range: bytes.indices) }

    var isAtEnd: Bool { offset >= end }

    mutating func readVarint() throws(ProtobufError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            // Ten bytes carry 70 bits; anything longer cannot be a 64-bit value.
            guard shift < 64 else { throw .varintOverflow(offset: start) }
            guard offset < end else { throw .truncated(offset: start) }
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// Reads a field tag. Throws on field number 0 and on wire types Kubernetes never emits.
    mutating func readTag() throws(ProtobufError) -> (field: Int, wireType: ProtobufWireType) {
        let start = offset
        let tag = try readVarint()
        let number = tag >> 3
        guard number > 0, number <= 0x1FFF_FFFF else { throw .invalidFieldNumber(offset: start, fieldNumber: number) }
        let raw = UInt8(tag & 7)
        guard let wireType = ProtobufWireType(rawValue: raw) else {
            throw .invalidWireType(offset: start, wireType: raw)
        }
        return (Int(number), wireType)
    }

    /// Reads a length prefix and returns the range of the payload, leaving the cursor after it.
    mutating func readLengthDelimited() throws(ProtobufError) -> Range<Int> {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(end - offset) else { throw .lengthPastEnd(offset: start, length: length) }
        let range = offset..<(offset + Int(length))
        offset = range.upperBound
        return range
    }

    mutating func readFixed32() throws(ProtobufError) -> UInt32 {
        guard end - offset >= 4 else { throw .truncated(offset: offset) }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return value
    }

    mutating func readFixed64() throws(ProtobufError) -> UInt64 {
        guard end - offset >= 8 else { throw .truncated(offset: offset) }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return value
    }

    /// Skips the value of a field this reader's caller does not know.
    mutating func skip(_ wireType: ProtobufWireType) throws(ProtobufError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        }
    }
}
