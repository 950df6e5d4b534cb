/// The JSON field schema of the Kubernetes 1.32 types Ferry serves, generated from the official
/// client's models (scripts/gen-schema.py). It backs `fieldValidation=Strict|Warn`: kube-apiserver
/// decodes bodies with sigs.k8s.io/json's strict mode and reports every unknown field.
public enum Schema {
    /// Dotted paths of fields in `object` that the Kubernetes type of `resource` does not have, spelled as
    /// kube-apiserver prints them (`spec.foo`, `spec.ports[0].bar`, `metadata.labelz`), at most 100.
    /// Keys are visited depth-first in byte order, which is upstream's document order for kubectl's
    /// bodies (Go encodes maps with sorted keys); a kind without a schema, or a non-object, yields `[]`.
    public static func unknownFields(in object: JSON, resource: ResourceType) -> [String] {
        guard let root = table.roots[Table.rootKey(apiVersion: resource.apiVersion, kind: resource.kind)] else {
            return []
        }
        return table.unknownFields(in: object, type: root)
    }

    /// sigs.k8s.io/json stops accumulating strict errors at 100, so a huge body gets a bounded message.
    static let maxReported = 100
}

// MARK: - Walking

extension Schema.Table {
    /// The walk behind `Schema.unknownFields`, on any table so tests can reach shapes the kinds lack.
    func unknownFields(in object: JSON, type: String) -> [String] {
        guard case .object(let fields) = object else { return [] }
        var found: [String] = []
        collect(fields, type: type, path: "", into: &found)
        return found
    }

    private func collect(_ object: [String: JSON], type: String, path: String, into found: inout [String]) {
        guard let known = types[type] else { return }
        for key in object.keys.sorted(by: Self.byteOrder) {
            guard found.count < Schema.maxReported, let value = object[key] else { return }
            let child = path.isEmpty ? key : path + "." + key
            if let shape = known.shape(of: key) {
                collect(value, shape: shape, path: child, into: &found)
            } else {
                found.append(child)
            }
        }
    }

    /// A value whose JSON kind does not fit its shape (say, a string where a struct belongs) is a type
    /// error upstream, not an unknown field, so it is skipped here.
    private func collect(_ value: JSON, shape: Schema.Shape, path: String, into found: inout [String]) {
        switch (shape, value) {
        case (.object(let type), .object(let fields)):
            collect(fields, type: type, path: path, into: &found)
        case (.list(let element), .array(let items)) where element.canHoldUnknownFields:
            for (index, item) in items.enumerated() where found.count < Schema.maxReported {
                collect(item, shape: element, path: "\(path)[\(index)]", into: &found)
            }
        case (.map(let element), .object(let entries)) where element.canHoldUnknownFields:
            // Upstream joins a map key with "." like a field name, with no quoting.
            for key in entries.keys.sorted(by: Self.byteOrder) {
                guard found.count < Schema.maxReported, let item = entries[key] else { return }
                collect(item, shape: element, path: path + "." + key, into: &found)
            }
        default:
            return
        }
    }

    /// Go sorts map keys by bytes when it encodes, so this is the order kubectl's bodies arrive in.
    private static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}

// MARK: - Table

extension Schema {
    /// How a field's value is decoded upstream.
    indirect enum Shape: Sendable, Equatable {
        /// A string, number, bool, time or Quantity.
        case scalar
        /// Decoded by a custom unmarshaler (IntOrString, FieldsV1): no field is unknown below it.
        case freeForm
        /// A struct, named by its client model (`V1ServiceSpec`).
        case object(String)
        case list(Shape)
        /// A `map[string]T`: keys are data, not fields.
        case map(Shape)

        var canHoldUnknownFields: Bool {
            switch self {
            case .scalar, .freeForm: return false
            case .object: return true
            case .list(let element), .map(let element): return element.canHoldUnknownFields
            }
        }
    }

    /// The fields of one struct type, by JSON name.
    struct Fields: Sendable, Equatable {
        var shapes: [String: Shape]

        /// Upstream matches names byte for byte, but Swift's `String ==` treats canonically equivalent
        /// strings as equal (U+212A KELVIN SIGN equals "K"), so a hit is confirmed on the UTF-8 bytes.
        func shape(of name: String) -> Shape? {
            guard let index = shapes.index(forKey: name), shapes[index].key.utf8.elementsEqual(name.utf8)
            else { return nil }
            return shapes[index].value
        }
    }

    enum TableError: Error, Equatable {
        case malformedLine(Int)
        case badShape(line: Int, field: String)
        case undefinedType(String)
        case duplicate(String)
    }

    /// The decoded form of `generatedTable` (format described in scripts/gen-schema.py).
    struct Table: Sendable {
        /// Root type by `rootKey(apiVersion:kind:)`.
        var roots: [String: String] = [:]
        var types: [String: Fields] = [:]

        static func rootKey(apiVersion: String, kind: String) -> String { apiVersion + " " + kind }

        init(parsing text: String) throws(TableError) {
            for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !rawLine.isEmpty {
                let line = offset + 1
                let words = rawLine.split(separator: " ")
                guard let head = words.first else { throw .malformedLine(line) }
                if head == "@" {
                    guard words.count == 4 else { throw .malformedLine(line) }
                    let key = Self.rootKey(apiVersion: String(words[1]), kind: String(words[2]))
                    guard roots[key] == nil else { throw .duplicate(key) }
                    roots[key] = String(words[3])
                    continue
                }
                var shapes: [String: Shape] = [:]
                for word in words.dropFirst() {
                    let parts = word.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    let name = String(parts[0])
                    guard !name.isEmpty, shapes[name] == nil else { throw .badShape(line: line, field: name) }
                    guard let shape = Self.shape(parts.count == 2 ? parts[1] : "") else {
                        throw .badShape(line: line, field: name)
                    }
                    shapes[name] = shape
                }
                guard types[String(head)] == nil else { throw .duplicate(String(head)) }
                types[String(head)] = Fields(shapes: shapes)
            }
            // Every named type must be defined, so a walk never silently stops at a dangling name.
            for name in roots.values where types[name] == nil { throw .undefinedType(name) }
            for fields in types.values {
                for shape in fields.shapes.values {
                    if let name = Self.typeName(in: shape), types[name] == nil { throw .undefinedType(name) }
                }
            }
        }

        private static func shape(_ text: Substring) -> Shape? {
            guard let first = text.first else { return .scalar }
            switch first {
            case "*": return text.count == 1 ? .freeForm : nil
            case "[": return shape(text.dropFirst()).map(Shape.list)
            case "{": return shape(text.dropFirst()).map(Shape.map)
            default:
                return text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) ? .object(String(text)) : nil
            }
        }

        private static func typeName(in shape: Shape) -> String? {
            switch shape {
            case .scalar, .freeForm: return nil
            case .object(let name): return name
            case .list(let element), .map(let element): return typeName(in: element)
            }
        }
    }

    /// Parsed on first use; `static let` initialization is thread-safe and happens once.
    static let table: Table = {
        do {
            return try Table(parsing: generatedTable)
        } catch {
            // The text is generated and committed, and SchemaTests parse it: this is a build defect.
            preconditionFailure("Schema+Generated.swift is malformed: \(error)")
        }
    }()
}
