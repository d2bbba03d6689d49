import Foundation
import HTTPServer
import JSONValues

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
