import Foundation

/// Decodes Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`) into
/// the JSON value Go's `encoding/json` would produce for the same object, so protobuf and JSON writes
/// reach the rest of Ferry in one shape.
public enum KubeProtobuf {
    /// `k8s\0`, which precedes every protobuf-encoded Kubernetes object.
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    /// Decodes the `k8s\0` envelope (runtime.Unknown: 1 typeMeta{1 apiVersion, 2 kind}, 2 raw,
    /// 3 contentEncoding, 4 contentType) and the object in `raw` into a JSON object with "apiVersion" and
    /// "kind" set. Fields follow Go's JSON rules (`omitempty`, `creationTimestamp: null`, base64 bytes).
    public static func decode(_ bytes: [UInt8]) throws(ProtobufError) -> JSON {
        guard !bytes.isEmpty else { throw .emptyBody }
        guard bytes.count >= magic.count, bytes[0..<magic.count].elementsEqual(magic) else { throw .missingMagic }
        guard bytes.count > magic.count else { throw .emptyBody }

        var reader = ProtobufReader(bytes, range: magic.count..<bytes.count)
        var apiVersion = ""
        var kind = ""
        var contentEncoding = ""
        var raw: Range<Int> = 0..<0
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readTag()
            switch field {
            case 1:
                let typeMeta = try lengthDelimited(wireType, &reader, field: "typeMeta")
                var inner = ProtobufReader(bytes, range: typeMeta)
                while !inner.isAtEnd {
                    let (innerField, innerWireType) = try inner.readTag()
                    switch innerField {
                    case 1: apiVersion = try string(innerWireType, &inner, field: "typeMeta.apiVersion")
                    case 2: kind = try string(innerWireType, &inner, field: "typeMeta.kind")
                    default: try inner.skip(innerWireType)
                    }
                }
            case 2: raw = try lengthDelimited(wireType, &reader, field: "raw")
            case 3: contentEncoding = try string(wireType, &reader, field: "contentEncoding")
            // The content type of `raw` is implied by the request's Content-Type; upstream ignores it too.
            case 4: _ = try string(wireType, &reader, field: "contentType")
            default: try reader.skip(wireType)
            }
        }
        guard !kind.isEmpty else { throw .missingKind }
        guard !apiVersion.isEmpty else { throw .missingAPIVersion }
        guard contentEncoding.isEmpty else { throw .unsupportedContentEncoding(contentEncoding) }
        guard let root = roots[apiVersion + "/" + kind], let schema = schemas[root] else {
            throw .unknownKind(apiVersion: apiVersion, kind: kind)
        }
        var object = try decodeMessage(schema, bytes, raw)
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        return .object(object)
    }

    private static func lengthDelimited(
        _ wireType: ProtobufWireType, _ reader: inout ProtobufReader, field: String
    ) throws(ProtobufError) -> Range<Int> {
        guard wireType == .lengthDelimited else { throw .wrongWireType(field: field, wireType: wireType.rawValue) }
        return try reader.readLengthDelimited()
    }

    private static func string(
        _ wireType: ProtobufWireType, _ reader: inout ProtobufReader, field: String
    ) throws(ProtobufError) -> String {
        let range = try lengthDelimited(wireType, &reader, field: field)
        // Go keeps invalid UTF-8 in strings and its JSON encoder replaces it with U+FFFD; so does this.
        return String(decoding: reader.bytes[range], as: UTF8.self)
    }
}

// MARK: - Message decoding

extension KubeProtobuf {
    /// Decodes one message. Fields absent from the wire are filled in exactly as Go would print the zero
    /// value of the field after a protobuf decode: omitted when `omitempty` applies, otherwise `""`, `0`,
    /// `false`, `null` (nil pointer, slice or map) or the zero struct.
    static func decodeMessage(
        _ schema: Message, _ bytes: [UInt8], _ range: Range<Int>
    ) throws(ProtobufError) -> [String: JSON] {
        var reader = ProtobufReader(bytes, range: range)
        var scalars: [Int: JSON] = [:]
        var chunks: [Int: [Range<Int>]] = [:]
        var lists: [Int: [JSON]] = [:]
        var maps: [Int: [String: JSON]] = [:]

        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard let index = schema.fieldIndex[number] else {
                try reader.skip(wireType)
                continue
            }
            let field = schema.fields[index]
            do throws(ProtobufError) {
                switch field.shape {
                case .value, .pointer:
                    if field.kind.isScalar {
                        scalars[number] = try readScalar(field.kind, wireType, &reader)
                    } else {
                        chunks[number, default: []].append(try lengthDelimited(wireType, &reader, field: ""))
                    }
                case .list:
                    if field.kind.isVarint, wireType == .lengthDelimited {
                        // Packed encoding: proto2 writers do not use it, but decoders must accept it.
                        var packed = ProtobufReader(bytes, range: try reader.readLengthDelimited())
                        while !packed.isAtEnd {
                            lists[number, default: []].append(try readScalar(field.kind, .varint, &packed))
                        }
                    } else if field.kind.isScalar {
                        lists[number, default: []].append(try readScalar(field.kind, wireType, &reader))
                    } else {
                        let element = try lengthDelimited(wireType, &reader, field: "")
                        let position = lists[number]?.count ?? 0
                        do throws(ProtobufError) {
                            lists[number, default: []].append(try decodeComposite(field.kind, bytes, element))
                        } catch {
                            throw error.prefixed(with: "[\(position)]")
                        }
                    }
                case .map:
                    let entry = try lengthDelimited(wireType, &reader, field: "")
                    let (key, value) = try decodeMapEntry(field.kind, bytes, entry)
                    maps[number, default: [:]][key] = value
                }
            } catch {
                throw error.prefixed(with: field.name)
            }
        }

        var object: [String: JSON] = [:]
        var inlined: [[String: JSON]] = []
        for field in schema.fields {
            let value: JSON?
            do throws(ProtobufError) {
                value = try assemble(field, bytes, scalars, chunks, lists, maps)
            } catch {
                throw error.prefixed(with: field.name)
            }
            guard let value else { continue }
            if field.name.isEmpty {
                if case .object(let members) = value { inlined.append(members) }
            } else {
                object[field.name] = value
            }
        }
        // Go promotes an embedded struct's fields into the parent; the parent's own fields win.
        for members in inlined { object.merge(members) { own, _ in own } }
        return object
    }

    /// `nil` means "omit the key". Spelled `Optional.none` because `JSON` is ExpressibleByNilLiteral and a
    /// bare `nil` in a ternary would silently become `JSON.null`.
    private static func assemble(
        _ field: Field, _ bytes: [UInt8], _ scalars: [Int: JSON], _ chunks: [Int: [Range<Int>]],
        _ lists: [Int: [JSON]], _ maps: [Int: [String: JSON]]
    ) throws(ProtobufError) -> JSON? {
        let number = field.number
        switch field.shape {
        case .value where field.kind.isScalar:
            if let value = scalars[number] {
                return field.omitEmpty && value == field.kind.zeroScalar ? Optional.none : value
            }
            if field.omitEmpty { return nil }
            // A nil []byte prints as null; every other scalar has a printable zero.
            return field.kind == .bytes ? .null : field.kind.zeroScalar
        case .value:
            // Struct-valued fields are never omitted by encoding/json, even with omitempty.
            guard let parts = chunks[number] else { return try decodeComposite(field.kind, bytes, 0..<0) }
            return try decodeMerged(field.kind, bytes, parts)
        case .pointer:
            if field.kind.isScalar, let value = scalars[number] { return value }
            if let parts = chunks[number] { return try decodeMerged(field.kind, bytes, parts) }
            return field.omitEmpty ? Optional.none : JSON.null
        case .list:
            if let values = lists[number], !values.isEmpty { return .array(values) }
            return field.omitEmpty ? Optional.none : JSON.null
        case .map:
            if let values = maps[number], !values.isEmpty { return .object(values) }
            return field.omitEmpty ? Optional.none : JSON.null
        }
    }

    /// A singular message field that occurs more than once is merged, which for generated messages is
    /// the same as decoding the concatenated payloads. Types with hand-written unmarshalers replace.
    private static func decodeMerged(
        _ kind: Field.Kind, _ bytes: [UInt8], _ parts: [Range<Int>]
    ) throws(ProtobufError) -> JSON {
        guard parts.count > 1, kind.mergesRepeatedOccurrences else {
            return try decodeComposite(kind, bytes, parts.last ?? 0..<0)
        }
        var merged: [UInt8] = []
        for part in parts { merged.append(contentsOf: bytes[part]) }
        return try decodeComposite(kind, merged, merged.indices)
    }

    private static func readScalar(
        _ kind: Field.Kind, _ wireType: ProtobufWireType, _ reader: inout ProtobufReader, field: String = ""
    ) throws(ProtobufError) -> JSON {
        switch kind {
        case .string:
            return .string(try string(wireType, &reader, field: field))
        case .bytes:
            let range = try lengthDelimited(wireType, &reader, field: field)
            return .string(Data(reader.bytes[range]).base64EncodedString())
        case .bool, .int32, .int64:
            guard wireType == .varint else { throw .wrongWireType(field: field, wireType: wireType.rawValue) }
            let raw = try reader.readVarint()
            switch kind {
            case .bool: return .bool(raw != 0)
            // Go truncates an over-long int32 varint to its low 32 bits.
            case .int32: return .int(Int64(Int32(truncatingIfNeeded: raw)))
            default: return .int(Int64(bitPattern: raw))
            }
        default:
            // Composite kinds never reach here; reading them as bytes keeps the cursor consistent.
            _ = try lengthDelimited(wireType, &reader, field: field)
            return .null
        }
    }

    /// Decodes a message-typed value: a schema message or one of the apimachinery types with their own
    /// JSON form. An empty range yields the Go zero value's JSON.
    static func decodeComposite(
        _ kind: Field.Kind, _ bytes: [UInt8], _ range: Range<Int>
    ) throws(ProtobufError) -> JSON {
        switch kind {
        case .message(let name):
            guard let schema = schemas[name] else { return .object([:]) }
            return .object(try decodeMessage(schema, bytes, range))
        case .time, .microTime:
            // An empty payload is Go's zero time.Time, which metav1 prints as null.
            guard !range.isEmpty else { return .null }
            var seconds: Int64 = 0
            var nanos: Int64 = 0
            var reader = ProtobufReader(bytes, range: range)
            while !reader.isAtEnd {
                let (field, wireType) = try reader.readTag()
                switch field {
                case 1: seconds = try readScalar(.int64, wireType, &reader, field: "seconds").intValue ?? 0
                case 2: nanos = try readScalar(.int32, wireType, &reader, field: "nanos").intValue ?? 0
                default: try reader.skip(wireType)
                }
            }
            return kind == .time ? formatTime(seconds: seconds) : formatMicroTime(seconds: seconds, nanos: nanos)
        case .intOrString:
            var type: Int64 = 0
            var intVal: Int64 = 0
            var strVal = ""
            var reader = ProtobufReader(bytes, range: range)
            while !reader.isAtEnd {
                let (field, wireType) = try reader.readTag()
                switch field {
                case 1: type = try readScalar(.int64, wireType, &reader, field: "type").intValue ?? 0
                case 2: intVal = try readScalar(.int32, wireType, &reader, field: "intVal").intValue ?? 0
                case 3: strVal = try string(wireType, &reader, field: "strVal")
                default: try reader.skip(wireType)
                }
            }
            switch type {
            case 0: return .int(intVal)
            case 1: return .string(strVal)
            default: throw .invalidIntOrString(field: "", type: type)
            }
        case .quantity:
            // Kept as the client wrote it; upstream would also canonicalize ("1000m" -> "1").
            var value = "0"
            var reader = ProtobufReader(bytes, range: range)
            while !reader.isAtEnd {
                let (field, wireType) = try reader.readTag()
                if field == 1 {
                    value = try string(wireType, &reader, field: "string")
                } else {
                    try reader.skip(wireType)
                }
            }
            return .string(value)
        case .fieldsV1:
            var raw: Range<Int>?
            var reader = ProtobufReader(bytes, range: range)
            while !reader.isAtEnd {
                let (field, wireType) = try reader.readTag()
                if field == 1 {
                    raw = try lengthDelimited(wireType, &reader, field: "Raw")
                } else {
                    try reader.skip(wireType)
                }
            }
            guard let raw else { return .null }
            do {
                return try JSON.parse(bytes[raw])
            } catch {
                throw .invalidFieldsV1(field: "")
            }
        case .string, .bytes, .bool, .int32, .int64:
            return kind.zeroScalar
        }
    }

    private static func decodeMapEntry(
        _ kind: Field.Kind, _ bytes: [UInt8], _ range: Range<Int>
    ) throws(ProtobufError) -> (String, JSON) {
        var key = ""
        var value: JSON?
        var reader = ProtobufReader(bytes, range: range)
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readTag()
            switch field {
            case 1:
                key = try string(wireType, &reader, field: "")
            case 2 where kind.isScalar:
                value = try readScalar(kind, wireType, &reader)
            case 2:
                let payload = try lengthDelimited(wireType, &reader, field: "")
                do throws(ProtobufError) {
                    value = try decodeComposite(kind, bytes, payload)
                } catch {
                    throw error.prefixed(with: "[\(key)]")
                }
            default:
                try reader.skip(wireType)
            }
        }
        if let value { return (key, value) }
        // A missing map value is the zero value; for bytes gogo allocates an empty slice, printed "".
        return (key, kind.isScalar ? kind.zeroScalar : try decodeComposite(kind, bytes, 0..<0))
    }
}

// MARK: - Time formatting

extension KubeProtobuf {
    /// metav1.Time drops sub-second precision on protobuf decode and prints RFC 3339 in UTC.
    static func formatTime(seconds: Int64) -> JSON {
        if seconds == goZeroTimeSeconds { return .null }
        return .string(rfc3339(seconds: seconds, microseconds: nil))
    }

    /// metav1.MicroTime truncates nanoseconds toward zero to microseconds and prints six fraction digits.
    static func formatMicroTime(seconds: Int64, nanos: Int64) -> JSON {
        var seconds = seconds
        var nanos = nanos / 1000 * 1000
        // time.Unix normalizes a nanosecond count outside [0, 1e9) into the seconds.
        if nanos < 0 || nanos >= 1_000_000_000 {
            seconds = seconds &+ nanos / 1_000_000_000
            nanos %= 1_000_000_000
            if nanos < 0 {
                nanos += 1_000_000_000
                seconds = seconds &- 1
            }
        }
        if seconds == goZeroTimeSeconds, nanos == 0 { return .null }
        return .string(rfc3339(seconds: seconds, microseconds: nanos / 1000))
    }

    /// Unix seconds of Go's zero time (0001-01-01T00:00:00Z), which metav1 prints as null.
    private static let goZeroTimeSeconds: Int64 = -62_135_596_800

    private static func rfc3339(seconds: Int64, microseconds: Int64?) -> String {
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        // Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        // Go's layout writes negative years as '-' followed by at least four digits.
        var text = year < 0 ? "-" + pad(-year, 4) : pad(year, 4)
        text += "-" + pad(month, 2) + "-" + pad(day, 2)
        text += "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if let microseconds { text += "." + pad(microseconds, 6) }
        return text + "Z"
    }
}

// MARK: - Schemas

extension KubeProtobuf {
    /// One field of a message: its protobuf number, JSON name and the Go shape that decides how an absent
    /// or zero value prints.
    struct Field: Sendable, Equatable {
        enum Shape: Sendable, Equatable {
            /// A non-pointer Go field.
            case value
            /// `*T`: printed whenever set, even when zero.
            case pointer
            /// `[]T` (a repeated field).
            case list
            /// `map[string]T` (repeated entries {1: key, 2: value}).
            case map
        }

        enum Kind: Sendable, Equatable {
            case string, bytes, bool, int32, int64
            case time, microTime, intOrString, quantity, fieldsV1
            case message(String)

            var isScalar: Bool {
                switch self {
                case .string, .bytes, .bool, .int32, .int64: return true
                default: return false
                }
            }

            var isVarint: Bool { self == .bool || self == .int32 || self == .int64 }

            /// Generated gogo unmarshalers merge into the existing value; Time, MicroTime and Quantity
            /// have hand-written ones that replace it.
            var mergesRepeatedOccurrences: Bool {
                switch self {
                case .time, .microTime, .quantity: return false
                default: return true
                }
            }

            var zeroScalar: JSON {
                switch self {
                case .bool: return .bool(false)
                case .int32, .int64: return .int(0)
                default: return .string("")
                }
            }
        }

        let number: Int
        /// The JSON key; empty for a Go embedded struct whose fields are promoted into the parent.
        let name: String
        let shape: Shape
        let kind: Kind
        /// The Go json tag has `omitempty`.
        let omitEmpty: Bool
    }

    struct Message: Sendable {
        let name: String
        let fields: [Field]
        let fieldIndex: [Int: Int]
    }

    /// Envelope `apiVersion/kind` to root message. Every `ResourceType.all` kind is here.
    static let roots: [String: String] = [
        "v1/Namespace": "Namespace", "v1/Service": "Service", "v1/Endpoints": "Endpoints", "v1/Pod": "Pod",
        "v1/Secret": "Secret", "v1/ConfigMap": "ConfigMap", "v1/Event": "Event",
        "discovery.k8s.io/v1/EndpointSlice": "EndpointSlice",
        "networking.k8s.io/v1/Ingress": "Ingress", "networking.k8s.io/v1/IngressClass": "IngressClass",
    ]

    static let schemas: [String: Message] = parseSchemas(schemaText)

    /// Parses `schemaText`. The text is a constant checked by tests, so a malformed entry is a
    /// programming error rather than bad input.
    static func parseSchemas(_ text: String) -> [String: Message] {
        var definitions: [(name: String, tokens: [Substring])] = []
        for line in text.split(separator: "\n") {
            let tokens = line.split(separator: " ")
            guard let first = tokens.first else { continue }
            if line.first == " ", !definitions.isEmpty {
                definitions[definitions.count - 1].tokens.append(contentsOf: tokens)
            } else {
                definitions.append((String(first), Array(tokens.dropFirst())))
            }
        }
        var messages: [String: Message] = [:]
        for definition in definitions {
            var fields: [Field] = []
            var index: [Int: Int] = [:]
            for token in definition.tokens {
                let parts = token.split(separator: ":", omittingEmptySubsequences: false)
                precondition(parts.count == 3, "bad schema token \(token) in \(definition.name)")
                guard let number = Int(parts[0]) else { preconditionFailure("bad field number in \(token)") }
                var type = Substring(parts[2])
                let omitEmpty = type.hasSuffix("?")
                if omitEmpty { type = type.dropLast() }
                var shape = Field.Shape.value
                if type.hasPrefix("*") {
                    shape = .pointer
                    type = type.dropFirst()
                } else if type.hasPrefix("[]") {
                    shape = .list
                    type = type.dropFirst(2)
                } else if type.hasPrefix("{}") {
                    shape = .map
                    type = type.dropFirst(2)
                }
                let kind: Field.Kind
                switch type {
                case "s": kind = .string
                case "b": kind = .bytes
                case "B": kind = .bool
                case "i": kind = .int32
                case "l": kind = .int64
                case "Time": kind = .time
                case "MicroTime": kind = .microTime
                case "IntOrString": kind = .intOrString
                case "Quantity": kind = .quantity
                case "FieldsV1": kind = .fieldsV1
                default: kind = .message(String(type))
                }
                precondition(index[number] == nil, "duplicate field \(number) in \(definition.name)")
                index[number] = fields.count
                let name = parts[1] == "~" ? "" : String(parts[1])
                fields.append(Field(number: number, name: name, shape: shape, kind: kind, omitEmpty: omitEmpty))
            }
            precondition(messages[definition.name] == nil, "duplicate message \(definition.name)")
            messages[definition.name] = Message(name: definition.name, fields: fields, fieldIndex: index)
        }
        for message in messages.values {
            for field in message.fields {
                if case .message(let target) = field.kind {
                    precondition(messages[target] != nil, "\(message.name).\(field.name) references unknown \(target)")
                }
            }
        }
        return messages
    }

    /// Message schemas for every kind in `roots` and everything they reach, one message per line
    /// (continuation lines are indented). Field syntax: `number:jsonName:type`, where `jsonName` `~` marks
    /// an embedded (inlined) Go struct; `type` is prefixed `*` pointer, `[]` list or `{}` map<string, T>
    /// and suffixed `?` for omitempty; scalars are s string, b bytes, B bool, i int32, l int64.
    ///
    /// Generated from the Go types (json tags, pointer-ness, protobuf tags) of k8s.io/api core/v1,
    /// networking/v1, discovery/v1 and apimachinery meta/v1 at kubernetes/api 10b39a39 and
    /// kubernetes/apimachinery eed236ce, and cross-checked field by field against their generated.proto.
    /// That is a superset of v1.32: upstream only adds fields and never renumbers them.
    static let schemaText = """
        Secret 1:metadata:ObjectMeta? 2:data:{}b? 3:type:s? 4:stringData:{}s? 5:immutable:*B?
        ConfigMap 1:metadata:ObjectMeta? 2:data:{}s? 3:binaryData:{}b? 4:immutable:*B?
        Namespace 1:metadata:ObjectMeta? 2:spec:NamespaceSpec? 3:status:NamespaceStatus?
        Service 1:metadata:ObjectMeta? 2:spec:ServiceSpec? 3:status:ServiceStatus?
        Ingress 1:metadata:ObjectMeta? 2:spec:IngressSpec? 3:status:IngressStatus?
        IngressClass 1:metadata:ObjectMeta? 2:spec:IngressClassSpec?
        Endpoints 1:metadata:ObjectMeta? 2:subsets:[]EndpointSubset?
        Event 1:metadata:ObjectMeta 2:involvedObject:ObjectReference 3:reason:s? 4:message:s? 5:source:EventSource?
            6:firstTimestamp:Time? 7:lastTimestamp:Time? 8:count:i? 9:type:s? 10:eventTime:MicroTime?
            11:series:*EventSeries? 12:action:s? 13:related:*ObjectReference? 14:reportingComponent:s
            15:reportingInstance:s
        EndpointSlice 1:metadata:ObjectMeta? 2:endpoints:[]Endpoint 3:ports:[]discovery.EndpointPort 4:addressType:s
        Pod 1:metadata:ObjectMeta? 2:spec:PodSpec? 3:status:PodStatus?
        ObjectMeta 1:name:s? 2:generateName:s? 3:namespace:s? 4:selfLink:s? 5:uid:s? 6:resourceVersion:s?
            7:generation:l? 8:creationTimestamp:Time? 9:deletionTimestamp:*Time? 10:deletionGracePeriodSeconds:*l?
            11:labels:{}s? 12:annotations:{}s? 13:ownerReferences:[]OwnerReference? 14:finalizers:[]s?
            17:managedFields:[]ManagedFieldsEntry?
        NamespaceSpec 1:finalizers:[]s?
        NamespaceStatus 1:phase:s? 2:conditions:[]NamespaceCondition?
        ServiceSpec 1:ports:[]ServicePort? 2:selector:{}s? 3:clusterIP:s? 4:type:s? 5:externalIPs:[]s?
            7:sessionAffinity:s? 8:loadBalancerIP:s? 9:loadBalancerSourceRanges:[]s? 10:externalName:s?
            11:externalTrafficPolicy:s? 12:healthCheckNodePort:i? 13:publishNotReadyAddresses:B?
            14:sessionAffinityConfig:*SessionAffinityConfig? 17:ipFamilyPolicy:*s? 18:clusterIPs:[]s? 19:ipFamilies:[]s?
            20:allocateLoadBalancerNodePorts:*B? 21:loadBalancerClass:*s? 22:internalTrafficPolicy:*s?
            23:trafficDistribution:*s?
        ServiceStatus 1:loadBalancer:LoadBalancerStatus? 2:conditions:[]Condition?
        IngressSpec 1:defaultBackend:*IngressBackend? 2:tls:[]IngressTLS? 3:rules:[]IngressRule? 4:ingressClassName:*s?
        IngressStatus 1:loadBalancer:IngressLoadBalancerStatus?
        IngressClassSpec 1:controller:s? 2:parameters:*IngressClassParametersReference?
        EndpointSubset 1:addresses:[]EndpointAddress? 2:notReadyAddresses:[]EndpointAddress? 3:ports:[]EndpointPort?
        ObjectReference 1:kind:s? 2:namespace:s? 3:name:s? 4:uid:s? 5:apiVersion:s? 6:resourceVersion:s? 7:fieldPath:s?
        EventSource 1:component:s? 2:host:s?
        EventSeries 1:count:i? 2:lastObservedTime:MicroTime?
        Endpoint 1:addresses:[]s 2:conditions:EndpointConditions? 3:hostname:*s? 4:targetRef:*ObjectReference?
            5:deprecatedTopology:{}s? 6:nodeName:*s? 7:zone:*s? 8:hints:*EndpointHints?
        discovery.EndpointPort 1:name:*s? 2:protocol:*s? 3:port:*i? 4:appProtocol:*s?
        PodSpec 1:volumes:[]Volume? 2:containers:[]Container 3:restartPolicy:s? 4:terminationGracePeriodSeconds:*l?
            5:activeDeadlineSeconds:*l? 6:dnsPolicy:s? 7:nodeSelector:{}s? 8:serviceAccountName:s? 9:serviceAccount:s?
            10:nodeName:s? 11:hostNetwork:B? 12:hostPID:B? 13:hostIPC:B? 14:securityContext:*PodSecurityContext?
            15:imagePullSecrets:[]LocalObjectReference? 16:hostname:s? 17:subdomain:s? 18:affinity:*Affinity?
            19:schedulerName:s? 20:initContainers:[]Container? 21:automountServiceAccountToken:*B?
            22:tolerations:[]Toleration? 23:hostAliases:[]HostAlias? 24:priorityClassName:s? 25:priority:*i?
            26:dnsConfig:*PodDNSConfig? 27:shareProcessNamespace:*B? 28:readinessGates:[]PodReadinessGate?
            29:runtimeClassName:*s? 30:enableServiceLinks:*B? 31:preemptionPolicy:*s? 32:overhead:{}Quantity?
            33:topologySpreadConstraints:[]TopologySpreadConstraint? 34:ephemeralContainers:[]EphemeralContainer?
            35:setHostnameAsFQDN:*B? 36:os:*PodOS? 37:hostUsers:*B? 38:schedulingGates:[]PodSchedulingGate?
            39:resourceClaims:[]PodResourceClaim? 40:resources:*ResourceRequirements? 41:hostnameOverride:*s?
            43:schedulingGroup:*PodSchedulingGroup? 44:evictionResponders:[]EvictionResponder?
        PodStatus 1:phase:s? 2:conditions:[]PodCondition? 3:message:s? 4:reason:s? 5:hostIP:s? 6:podIP:s?
            7:startTime:*Time? 8:containerStatuses:[]ContainerStatus? 9:qosClass:s?
            10:initContainerStatuses:[]ContainerStatus? 11:nominatedNodeName:s? 12:podIPs:[]PodIP?
            13:ephemeralContainerStatuses:[]ContainerStatus? 14:resize:s?
            15:resourceClaimStatuses:[]PodResourceClaimStatus? 16:hostIPs:[]HostIP? 17:observedGeneration:l?
            18:extendedResourceClaimStatus:*PodExtendedResourceClaimStatus? 19:allocatedResources:{}Quantity?
            20:resources:*ResourceRequirements?
            21:nodeAllocatableResourceClaimStatuses:[]NodeAllocatableResourceClaimStatus?
            22:volumeHealth:[]PodVolumeHealth?
        OwnerReference 1:kind:s 3:name:s 4:uid:s 5:apiVersion:s 6:controller:*B? 7:blockOwnerDeletion:*B?
        ManagedFieldsEntry 1:manager:s? 2:operation:s? 3:apiVersion:s? 4:time:*Time? 6:fieldsType:s?
            7:fieldsV1:*FieldsV1? 8:subresource:s?
        NamespaceCondition 1:type:s 2:status:s 4:lastTransitionTime:Time? 5:reason:s? 6:message:s?
        ServicePort 1:name:s? 2:protocol:s? 3:port:i 4:targetPort:IntOrString? 5:nodePort:i? 6:appProtocol:*s?
        SessionAffinityConfig 1:clientIP:*ClientIPConfig?
        LoadBalancerStatus 1:ingress:[]LoadBalancerIngress?
        Condition 1:type:s 2:status:s 3:observedGeneration:l? 4:lastTransitionTime:Time 5:reason:s 6:message:s
        IngressBackend 3:resource:*TypedLocalObjectReference? 4:service:*IngressServiceBackend?
        IngressTLS 1:hosts:[]s? 2:secretName:s?
        IngressRule 1:host:s? 2:~:IngressRuleValue
        IngressLoadBalancerStatus 1:ingress:[]IngressLoadBalancerIngress?
        IngressClassParametersReference 1:apiGroup:*s? 2:kind:s 3:name:s 4:scope:*s 5:namespace:*s?
        EndpointAddress 1:ip:s 2:targetRef:*ObjectReference? 3:hostname:s? 4:nodeName:*s?
        EndpointPort 1:name:s? 2:port:i 3:protocol:s? 4:appProtocol:*s?
        EndpointConditions 1:ready:*B? 2:serving:*B? 3:terminating:*B?
        EndpointHints 1:forZones:[]ForZone? 2:forNodes:[]ForNode?
        Volume 1:name:s 2:~:VolumeSource
        Container 1:name:s 2:image:s? 3:command:[]s? 4:args:[]s? 5:workingDir:s? 6:ports:[]ContainerPort?
            7:env:[]EnvVar? 8:resources:ResourceRequirements? 9:volumeMounts:[]VolumeMount? 10:livenessProbe:*Probe?
            11:readinessProbe:*Probe? 12:lifecycle:*Lifecycle? 13:terminationMessagePath:s? 14:imagePullPolicy:s?
            15:securityContext:*SecurityContext? 16:stdin:B? 17:stdinOnce:B? 18:tty:B? 19:envFrom:[]EnvFromSource?
            20:terminationMessagePolicy:s? 21:volumeDevices:[]VolumeDevice? 22:startupProbe:*Probe?
            23:resizePolicy:[]ContainerResizePolicy? 24:restartPolicy:*s? 25:restartPolicyRules:[]ContainerRestartRule?
        EphemeralContainer 1:~:EphemeralContainerCommon 2:targetContainerName:s?
        PodSecurityContext 1:seLinuxOptions:*SELinuxOptions? 2:runAsUser:*l? 3:runAsNonRoot:*B?
            4:supplementalGroups:[]l? 5:fsGroup:*l? 6:runAsGroup:*l? 7:sysctls:[]Sysctl?
            8:windowsOptions:*WindowsSecurityContextOptions? 9:fsGroupChangePolicy:*s?
            10:seccompProfile:*SeccompProfile? 11:appArmorProfile:*AppArmorProfile? 12:supplementalGroupsPolicy:*s?
            13:seLinuxChangePolicy:*s?
        LocalObjectReference 1:name:s?
        Affinity 1:nodeAffinity:*NodeAffinity? 2:podAffinity:*PodAffinity? 3:podAntiAffinity:*PodAntiAffinity?
        Toleration 1:key:s? 2:operator:s? 3:value:s? 4:effect:s? 5:tolerationSeconds:*l?
        HostAlias 1:ip:s 2:hostnames:[]s?
        PodDNSConfig 1:nameservers:[]s? 2:searches:[]s? 3:options:[]PodDNSConfigOption?
        PodReadinessGate 1:conditionType:s
        TopologySpreadConstraint 1:maxSkew:i 2:topologyKey:s 3:whenUnsatisfiable:s 4:labelSelector:*LabelSelector?
            5:minDomains:*i? 6:nodeAffinityPolicy:*s? 7:nodeTaintsPolicy:*s? 8:matchLabelKeys:[]s?
        PodOS 1:name:s
        PodSchedulingGate 1:name:s
        PodResourceClaim 1:name:s 3:resourceClaimName:*s? 4:resourceClaimTemplateName:*s?
        ResourceRequirements 1:limits:{}Quantity? 2:requests:{}Quantity? 3:claims:[]ResourceClaim?
        PodSchedulingGroup 1:podGroupName:*s?
        EvictionResponder 1:name:s 2:priority:*i
        PodCondition 1:type:s 2:status:s 3:lastProbeTime:Time? 4:lastTransitionTime:Time? 5:reason:s? 6:message:s?
            7:observedGeneration:l?
        HostIP 1:ip:s
        PodIP 1:ip:s
        ContainerStatus 1:name:s 2:state:ContainerState? 3:lastState:ContainerState? 4:ready:B 5:restartCount:i
            6:image:s 7:imageID:s 8:containerID:s? 9:started:*B? 10:allocatedResources:{}Quantity?
            11:resources:*ResourceRequirements? 12:volumeMounts:[]VolumeMountStatus? 13:user:*ContainerUser?
            14:allocatedResourcesStatus:[]ResourceStatus? 15:stopSignal:*s?
        PodResourceClaimStatus 1:name:s 2:resourceClaimName:*s?
        PodExtendedResourceClaimStatus 1:requestMappings:[]ContainerExtendedResourceRequest 2:resourceClaimName:s
        NodeAllocatableResourceClaimStatus 1:resourceClaimName:s 2:containers:[]s?
            4:mapping:[]NodeAllocatableMappedResources? 5:overhead:[]NodeAllocatableOverheadResources?
        PodVolumeHealth 1:name:s 2:healthConditions:[]VolumeHealthCondition? 3:lastTransitionTime:Time?
        ClientIPConfig 1:timeoutSeconds:*i?
        LoadBalancerIngress 1:ip:s? 2:hostname:s? 3:ipMode:*s? 4:ports:[]PortStatus?
        IngressServiceBackend 1:name:s 2:port:ServiceBackendPort?
        TypedLocalObjectReference 1:apiGroup:*s 2:kind:s 3:name:s
        IngressRuleValue 1:http:*HTTPIngressRuleValue?
        IngressLoadBalancerIngress 1:ip:s? 2:hostname:s? 4:ports:[]IngressPortStatus?
        ForZone 1:name:s
        ForNode 1:name:s
        VolumeSource 1:hostPath:*HostPathVolumeSource? 2:emptyDir:*EmptyDirVolumeSource?
            3:gcePersistentDisk:*GCEPersistentDiskVolumeSource?
            4:awsElasticBlockStore:*AWSElasticBlockStoreVolumeSource? 5:gitRepo:*GitRepoVolumeSource?
            6:secret:*SecretVolumeSource? 7:nfs:*NFSVolumeSource? 8:iscsi:*ISCSIVolumeSource?
            9:glusterfs:*GlusterfsVolumeSource? 10:persistentVolumeClaim:*PersistentVolumeClaimVolumeSource?
            11:rbd:*RBDVolumeSource? 12:flexVolume:*FlexVolumeSource? 13:cinder:*CinderVolumeSource?
            14:cephfs:*CephFSVolumeSource? 15:flocker:*FlockerVolumeSource? 16:downwardAPI:*DownwardAPIVolumeSource?
            17:fc:*FCVolumeSource? 18:azureFile:*AzureFileVolumeSource? 19:configMap:*ConfigMapVolumeSource?
            20:vsphereVolume:*VsphereVirtualDiskVolumeSource? 21:quobyte:*QuobyteVolumeSource?
            22:azureDisk:*AzureDiskVolumeSource? 23:photonPersistentDisk:*PhotonPersistentDiskVolumeSource?
            24:portworxVolume:*PortworxVolumeSource? 25:scaleIO:*ScaleIOVolumeSource?
            26:projected:*ProjectedVolumeSource? 27:storageos:*StorageOSVolumeSource? 28:csi:*CSIVolumeSource?
            29:ephemeral:*EphemeralVolumeSource? 30:image:*ImageVolumeSource?
        ContainerPort 1:name:s? 2:hostPort:i? 3:containerPort:i 4:protocol:s? 5:hostIP:s?
        EnvFromSource 1:prefix:s? 2:configMapRef:*ConfigMapEnvSource? 3:secretRef:*SecretEnvSource?
        EnvVar 1:name:s 2:value:s? 3:valueFrom:*EnvVarSource?
        ContainerResizePolicy 1:resourceName:s 2:restartPolicy:s
        ContainerRestartRule 1:action:s? 2:exitCodes:*ContainerRestartRuleOnExitCodes?
        VolumeMount 1:name:s 2:readOnly:B? 3:mountPath:s 4:subPath:s? 5:mountPropagation:*s? 6:subPathExpr:s?
            7:recursiveReadOnly:*s? 8:bindMountOptions:[]s?
        VolumeDevice 1:name:s 2:devicePath:s
        Probe 1:~:ProbeHandler 2:initialDelaySeconds:i? 3:timeoutSeconds:i? 4:periodSeconds:i? 5:successThreshold:i?
            6:failureThreshold:i? 7:terminationGracePeriodSeconds:*l?
        Lifecycle 1:postStart:*LifecycleHandler? 2:preStop:*LifecycleHandler? 3:stopSignal:*s?
        SecurityContext 1:capabilities:*Capabilities? 2:privileged:*B? 3:seLinuxOptions:*SELinuxOptions? 4:runAsUser:*l?
            5:runAsNonRoot:*B? 6:readOnlyRootFilesystem:*B? 7:allowPrivilegeEscalation:*B? 8:runAsGroup:*l?
            9:procMount:*s? 10:windowsOptions:*WindowsSecurityContextOptions? 11:seccompProfile:*SeccompProfile?
            12:appArmorProfile:*AppArmorProfile?
        EphemeralContainerCommon 1:name:s 2:image:s? 3:command:[]s? 4:args:[]s? 5:workingDir:s? 6:ports:[]ContainerPort?
            7:env:[]EnvVar? 8:resources:ResourceRequirements? 9:volumeMounts:[]VolumeMount? 10:livenessProbe:*Probe?
            11:readinessProbe:*Probe? 12:lifecycle:*Lifecycle? 13:terminationMessagePath:s? 14:imagePullPolicy:s?
            15:securityContext:*SecurityContext? 16:stdin:B? 17:stdinOnce:B? 18:tty:B? 19:envFrom:[]EnvFromSource?
            20:terminationMessagePolicy:s? 21:volumeDevices:[]VolumeDevice? 22:startupProbe:*Probe?
            23:resizePolicy:[]ContainerResizePolicy? 24:restartPolicy:*s? 25:restartPolicyRules:[]ContainerRestartRule?
        SELinuxOptions 1:user:s? 2:role:s? 3:type:s? 4:level:s?
        WindowsSecurityContextOptions 1:gmsaCredentialSpecName:*s? 2:gmsaCredentialSpec:*s? 3:runAsUserName:*s?
            4:hostProcess:*B?
        Sysctl 1:name:s 2:value:s
        SeccompProfile 1:type:s 2:localhostProfile:*s?
        AppArmorProfile 1:type:s 2:localhostProfile:*s?
        NodeAffinity 1:requiredDuringSchedulingIgnoredDuringExecution:*NodeSelector?
            2:preferredDuringSchedulingIgnoredDuringExecution:[]PreferredSchedulingTerm?
        PodAffinity 1:requiredDuringSchedulingIgnoredDuringExecution:[]PodAffinityTerm?
            2:preferredDuringSchedulingIgnoredDuringExecution:[]WeightedPodAffinityTerm?
        PodAntiAffinity 1:requiredDuringSchedulingIgnoredDuringExecution:[]PodAffinityTerm?
            2:preferredDuringSchedulingIgnoredDuringExecution:[]WeightedPodAffinityTerm?
        PodDNSConfigOption 1:name:s? 2:value:*s?
        LabelSelector 1:matchLabels:{}s? 2:matchExpressions:[]LabelSelectorRequirement?
        ResourceClaim 1:name:s 2:request:s?
        ContainerState 1:waiting:*ContainerStateWaiting? 2:running:*ContainerStateRunning?
            3:terminated:*ContainerStateTerminated?
        VolumeMountStatus 1:name:s 2:mountPath:s 3:readOnly:B? 4:recursiveReadOnly:*s? 5:volumeStatus:*VolumeStatus?
        ContainerUser 1:linux:*LinuxContainerUser?
        ResourceStatus 1:name:s 2:resources:[]ResourceHealth?
        ContainerExtendedResourceRequest 1:containerName:s 2:resourceName:s 3:requestName:s
        NodeAllocatableMappedResources 1:name:s 2:quantity:*Quantity
        NodeAllocatableOverheadResources 1:name:s 2:perPod:*Quantity? 3:perContainer:*Quantity?
        VolumeHealthCondition 1:status:s 2:reason:s 3:message:s?
        PortStatus 1:port:i 2:protocol:s 3:error:*s?
        ServiceBackendPort 1:name:s? 2:number:i?
        HTTPIngressRuleValue 1:paths:[]HTTPIngressPath
        IngressPortStatus 1:port:i 2:protocol:s 3:error:*s?
        HostPathVolumeSource 1:path:s 2:type:*s?
        EmptyDirVolumeSource 1:medium:s? 2:sizeLimit:*Quantity? 3:mode:*i?
        GCEPersistentDiskVolumeSource 1:pdName:s 2:fsType:s? 3:partition:i? 4:readOnly:B?
        AWSElasticBlockStoreVolumeSource 1:volumeID:s 2:fsType:s? 3:partition:i? 4:readOnly:B?
        GitRepoVolumeSource 1:repository:s 2:revision:s? 3:directory:s?
        SecretVolumeSource 1:secretName:s? 2:items:[]KeyToPath? 3:defaultMode:*i? 4:optional:*B? 5:defaultUser:*l?
        NFSVolumeSource 1:server:s 2:path:s 3:readOnly:B?
        ISCSIVolumeSource 1:targetPortal:s 2:iqn:s 3:lun:i 4:iscsiInterface:s? 5:fsType:s? 6:readOnly:B? 7:portals:[]s?
            8:chapAuthDiscovery:B? 10:secretRef:*LocalObjectReference? 11:chapAuthSession:B? 12:initiatorName:*s?
        GlusterfsVolumeSource 1:endpoints:s 2:path:s 3:readOnly:B?
        PersistentVolumeClaimVolumeSource 1:claimName:s 2:readOnly:B?
        RBDVolumeSource 1:monitors:[]s 2:image:s 3:fsType:s? 4:pool:s? 5:user:s? 6:keyring:s?
            7:secretRef:*LocalObjectReference? 8:readOnly:B?
        FlexVolumeSource 1:driver:s 2:fsType:s? 3:secretRef:*LocalObjectReference? 4:readOnly:B? 5:options:{}s?
        CinderVolumeSource 1:volumeID:s 2:fsType:s? 3:readOnly:B? 4:secretRef:*LocalObjectReference?
        CephFSVolumeSource 1:monitors:[]s 2:path:s? 3:user:s? 4:secretFile:s? 5:secretRef:*LocalObjectReference?
            6:readOnly:B?
        FlockerVolumeSource 1:datasetName:s? 2:datasetUUID:s?
        DownwardAPIVolumeSource 1:items:[]DownwardAPIVolumeFile? 2:defaultMode:*i? 3:defaultUser:*l?
        FCVolumeSource 1:targetWWNs:[]s? 2:lun:*i? 3:fsType:s? 4:readOnly:B? 5:wwids:[]s?
        AzureFileVolumeSource 1:secretName:s 2:shareName:s 3:readOnly:B?
        ConfigMapVolumeSource 1:~:LocalObjectReference 2:items:[]KeyToPath? 3:defaultMode:*i? 4:optional:*B?
            5:defaultUser:*l?
        VsphereVirtualDiskVolumeSource 1:volumePath:s 2:fsType:s? 3:storagePolicyName:s? 4:storagePolicyID:s?
        QuobyteVolumeSource 1:registry:s 2:volume:s 3:readOnly:B? 4:user:s? 5:group:s? 6:tenant:s?
        AzureDiskVolumeSource 1:diskName:s 2:diskURI:s 3:cachingMode:*s? 4:fsType:*s? 5:readOnly:*B? 6:kind:*s?
        PhotonPersistentDiskVolumeSource 1:pdID:s 2:fsType:s?
        ProjectedVolumeSource 1:sources:[]VolumeProjection 2:defaultMode:*i? 3:defaultUser:*l?
        PortworxVolumeSource 1:volumeID:s 2:fsType:s? 3:readOnly:B?
        ScaleIOVolumeSource 1:gateway:s 2:system:s 3:secretRef:*LocalObjectReference 4:sslEnabled:B?
            5:protectionDomain:s? 6:storagePool:s? 7:storageMode:s? 8:volumeName:s? 9:fsType:s? 10:readOnly:B?
        StorageOSVolumeSource 1:volumeName:s? 2:volumeNamespace:s? 3:fsType:s? 4:readOnly:B?
            5:secretRef:*LocalObjectReference?
        CSIVolumeSource 1:driver:s 2:readOnly:*B? 3:fsType:*s? 4:volumeAttributes:{}s?
            5:nodePublishSecretRef:*LocalObjectReference?
        EphemeralVolumeSource 1:volumeClaimTemplate:*PersistentVolumeClaimTemplate?
        ImageVolumeSource 1:reference:s? 2:pullPolicy:s?
        ConfigMapEnvSource 1:~:LocalObjectReference 2:optional:*B?
        SecretEnvSource 1:~:LocalObjectReference 2:optional:*B?
        EnvVarSource 1:fieldRef:*ObjectFieldSelector? 2:resourceFieldRef:*ResourceFieldSelector?
            3:configMapKeyRef:*ConfigMapKeySelector? 4:secretKeyRef:*SecretKeySelector? 5:fileKeyRef:*FileKeySelector?
        ContainerRestartRuleOnExitCodes 1:operator:s? 2:values:[]i?
        ProbeHandler 1:exec:*ExecAction? 2:httpGet:*HTTPGetAction? 3:tcpSocket:*TCPSocketAction? 4:grpc:*GRPCAction?
        LifecycleHandler 1:exec:*ExecAction? 2:httpGet:*HTTPGetAction? 3:tcpSocket:*TCPSocketAction?
            4:sleep:*SleepAction?
        Capabilities 1:add:[]s? 2:drop:[]s?
        NodeSelector 1:nodeSelectorTerms:[]NodeSelectorTerm
        PreferredSchedulingTerm 1:weight:i 2:preference:NodeSelectorTerm
        PodAffinityTerm 1:labelSelector:*LabelSelector? 2:namespaces:[]s? 3:topologyKey:s
            4:namespaceSelector:*LabelSelector? 5:matchLabelKeys:[]s? 6:mismatchLabelKeys:[]s?
        WeightedPodAffinityTerm 1:weight:i 2:podAffinityTerm:PodAffinityTerm
        LabelSelectorRequirement 1:key:s 2:operator:s 3:values:[]s?
        ContainerStateWaiting 1:reason:s? 2:message:s?
        ContainerStateRunning 1:startedAt:Time?
        ContainerStateTerminated 1:exitCode:i 2:signal:i? 3:reason:s? 4:message:s? 5:startedAt:Time? 6:finishedAt:Time?
            7:containerID:s?
        VolumeStatus 1:image:*ImageVolumeStatus?
        LinuxContainerUser 1:uid:l 2:gid:l 3:supplementalGroups:[]l?
        ResourceHealth 1:resourceID:s 2:health:s? 6:message:*s?
        HTTPIngressPath 1:path:s? 2:backend:IngressBackend 3:pathType:*s
        KeyToPath 1:key:s 2:path:s 3:mode:*i? 4:user:*l?
        DownwardAPIVolumeFile 1:path:s 2:fieldRef:*ObjectFieldSelector? 3:resourceFieldRef:*ResourceFieldSelector?
            4:mode:*i? 5:user:*l?
        VolumeProjection 1:secret:*SecretProjection? 2:downwardAPI:*DownwardAPIProjection?
            3:configMap:*ConfigMapProjection? 4:serviceAccountToken:*ServiceAccountTokenProjection?
            5:clusterTrustBundle:*ClusterTrustBundleProjection? 6:podCertificate:*PodCertificateProjection?
        PersistentVolumeClaimTemplate 1:metadata:ObjectMeta? 2:spec:PersistentVolumeClaimSpec
        ObjectFieldSelector 1:apiVersion:s? 2:fieldPath:s
        ResourceFieldSelector 1:containerName:s? 2:resource:s 3:divisor:Quantity?
        ConfigMapKeySelector 1:~:LocalObjectReference 2:key:s 3:optional:*B?
        SecretKeySelector 1:~:LocalObjectReference 2:key:s 3:optional:*B?
        FileKeySelector 1:volumeName:s 2:path:s 3:key:s 4:optional:*B?
        ExecAction 1:command:[]s?
        HTTPGetAction 1:path:s? 2:port:IntOrString 3:host:s? 4:scheme:s? 5:httpHeaders:[]HTTPHeader? 6:protocol:*s?
        TCPSocketAction 1:port:IntOrString 2:host:s?
        GRPCAction 1:port:i 2:service:*s 3:mode:*s?
        SleepAction 1:seconds:l
        NodeSelectorTerm 1:matchExpressions:[]NodeSelectorRequirement? 2:matchFields:[]NodeSelectorRequirement?
        ImageVolumeStatus 1:imageRef:s?
        SecretProjection 1:~:LocalObjectReference 2:items:[]KeyToPath? 4:optional:*B?
        DownwardAPIProjection 1:items:[]DownwardAPIVolumeFile?
        ConfigMapProjection 1:~:LocalObjectReference 2:items:[]KeyToPath? 4:optional:*B?
        ServiceAccountTokenProjection 1:audience:s? 2:expirationSeconds:*l? 3:path:s 4:user:*l?
        ClusterTrustBundleProjection 1:name:*s? 2:signerName:*s? 3:labelSelector:*LabelSelector? 4:path:s 5:optional:*B?
            6:user:*l?
        PodCertificateProjection 1:signerName:s? 2:keyType:s? 3:maxExpirationSeconds:*i? 4:credentialBundlePath:s?
            5:keyPath:s? 6:certificateChainPath:s? 7:userAnnotations:{}s? 8:user:*l?
        PersistentVolumeClaimSpec 1:accessModes:[]s? 2:resources:VolumeResourceRequirements? 3:volumeName:s?
            4:selector:*LabelSelector? 5:storageClassName:*s? 6:volumeMode:*s? 7:dataSource:*TypedLocalObjectReference?
            8:dataSourceRef:*TypedObjectReference? 9:volumeAttributesClassName:*s?
        HTTPHeader 1:name:s 2:value:s
        NodeSelectorRequirement 1:key:s 2:operator:s 3:values:[]s?
        VolumeResourceRequirements 1:limits:{}Quantity? 2:requests:{}Quantity?
        TypedObjectReference 1:apiGroup:*s 2:kind:s 3:name:s 4:namespace:*s?
        """
}
