import Foundation

/// Any JSON value, as partners send it (metadata, request bodies). Numbers keep their text, so a
/// partner's `12345678901234567890` is stored and fingerprinted exactly (see ``JSONParser``).
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's text as sent (valid JSON number syntax).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Through `JSONEncoder` (our own documents embed partner metadata): a number is written as a
    /// `Decimal` when that keeps it exactly (up to 38 significant digits), else as a `Double`, else
    /// (out of `Double`'s range) as its text in a string.
    /// Stored and fingerprinted copies use ``canonical``, which keeps every digit.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let text):
            if let integer = Int64(text) { try container.encode(integer) }
            else if let decimal = Decimal(string: text), decimal.description == text { try container.encode(decimal) }
            else if let double = Double(text), double.isFinite { try container.encode(double) }
            // Beyond Double's range (1e400): JSON allows it, JSONEncoder cannot write it; the text is
            // kept as a string rather than lost (the stored canonical copy keeps it as a number).
            else { try container.encode(text) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Through `JSONDecoder`, for documents that are decoded with `Codable` and read as values
    /// (Prisma's answers, see `CreatedProject`). Numbers arrive as `JSONDecoder` reads them: an
    /// integer keeps its digits, any other number becomes `Double`'s shortest text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode(Int64.self) { self = .number(String(value)) }
        else if let value = try? container.decode(Double.self) { self = .number("\(value)") }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public var string: String? { if case .string(let value) = self { return value } else { return nil } }
    public var object: [String: JSONValue]? { if case .object(let value) = self { return value } else { return nil } }
    public var isNull: Bool { self == .null }

    /// An integer value: a JSON number whose value is whole (`60`, and also `60.0` or `6e1`, as JSON
    /// Schema's `integer` counts them) and that fits an `Int` exactly.
    public var integer: Int? {
        guard case .number(let text) = self else { return nil }
        if let plain = Int(text) { return plain }
        // Written with a fraction or an exponent: whole and exactly representable (below 2^53).
        guard let value = Double(text), value.isFinite, value == value.rounded(), abs(value) < 9_007_199_254_740_992 else { return nil }
        return Int(value)
    }

    /// Canonical text: sorted keys, no whitespace, numbers exactly as sent. What "the same request"
    /// and stored metadata are made of.
    public var canonical: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .number(let text): out += Array(text.utf8)
        case .string(let value): out += JSONText.string(value)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += JSONText.string(key)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

