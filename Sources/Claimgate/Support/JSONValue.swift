import Foundation
import HTTPServer
import JSONStrings

/// Any JSON value, as partners send it (metadata, request bodies). Numbers keep their text, so a
/// partner's `12345678901234567890` is stored and fingerprinted exactly (see ``JSONParser``).
public enum JSONValue: Encodable, Sendable, Equatable {
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

/// One shared encoder configuration: sorted keys (stable output), no escaped slashes.
enum JSON {
    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            // Our documents are strings, numbers and finite values: encoding cannot fail. Should it,
            // `null` is a valid document and the failure is impossible to miss in tests.
            assertionFailure("JSON encoding failed: \(error)")
            return Array("null".utf8)
        }
    }

    /// Parses partner JSON with the parser's limits; nil when it is not valid JSON.
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONParser.parse(bytes)  // callers answer "not valid JSON"; the reason is not needed
    }

    /// Dynamic keys for documents with run-time member names.
    typealias Key = JSONKey
}
