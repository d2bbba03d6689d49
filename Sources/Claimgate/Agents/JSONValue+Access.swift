import JSONValues

/// Small conveniences for documents built and read by the agent surfaces (MCP messages, API
/// answers rendered by the CLI).
extension JSONValue {
    /// An integer as a JSON number.
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    public var array: [JSONValue]? { if case .array(let value) = self { return value } else { return nil } }
    public var bool: Bool? { if case .bool(let value) = self { return value } else { return nil } }

    /// A member of an object (nil for anything else).
    public subscript(key: String) -> JSONValue? { object?[key] }

    /// The value as one line of text: strings bare, `null` as an empty string, others as JSON.
    public var text: String {
        switch self {
        case .string(let value): value
        case .null: ""
        default: String(decoding: canonical, as: UTF8.self)
        }
    }

    /// Parses a JSON text with the partner parser's limits (``JSONParser``).
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONParser.parse(bytes)
    }

    /// Human-readable JSON (two-space indent, sorted keys): for people reading a terminal or a
    /// model reading a tool result. Numbers keep their text.
    public var pretty: String {
        var out = ""
        write(pretty: &out, indent: "")
        return out
    }

    private func write(pretty out: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let values) where !values.isEmpty:
            out += "[\n"
            for (index, value) in values.enumerated() {
                out += inner
                value.write(pretty: &out, indent: inner)
                out += index < values.count - 1 ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            let keys = members.keys.sorted()
            for (index, key) in keys.enumerated() {
                out += inner + String(decoding: JSONValue.string(key).canonical, as: UTF8.self) + ": "
                members[key]!.write(pretty: &out, indent: inner)
                out += index < keys.count - 1 ? ",\n" : "\n"
            }
            out += indent + "}"
        default:
            out += String(decoding: canonical, as: UTF8.self)
        }
    }
}
