import HTTPServer
import JSONValues
import Timestamps

/// A document Claimgate writes itself, as JSON bytes.
///
/// The partner API's documents are written member by member instead of through `JSONEncoder`:
/// on Linux the encoder was the largest single cost of an API read (13 % of the CPU time of
/// `GET /v1/databases/{id}` under load), and writing by hand also lets stored JSON (partner
/// metadata, kept canonical) be spliced in as it is, every digit of its numbers included.
protocol JSONRepresentable {
    var json: [UInt8] { get }
}

/// Builds one JSON object, members in the order they are added (callers add them sorted, so the
/// output is the same bytes as a sorted-keys encoder's).
struct JSONObjectWriter {
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var empty = true

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    private mutating func key(_ name: String) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        JSONText.append(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A string member, or `null` when `value` is nil.
    mutating func string(_ name: String, _ value: String?) {
        key(name)
        if let value { JSONText.append(value, to: &bytes) } else { bytes += Self.null }
    }

    /// A timestamp member (RFC 3339 in UTC with milliseconds, as ``Timestamp`` writes it), or `null`.
    mutating func timestamp(_ name: String, milliseconds: Int64?) {
        key(name)
        guard let milliseconds else { bytes += Self.null; return }
        bytes.append(UInt8(ascii: "\""))
        Timestamp.append(milliseconds: milliseconds, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func bool(_ name: String, _ value: Bool) {
        key(name)
        bytes += Array((value ? "true" : "false").utf8)
    }

    /// A member whose value is already JSON (a nested document, stored canonical JSON).
    mutating func raw(_ name: String, _ json: [UInt8]) {
        key(name)
        bytes += json
    }

    /// A member that is an array of documents.
    mutating func array(_ name: String, _ items: [[UInt8]]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += item
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// The finished object.
    var finished: [UInt8] {
        var done = bytes
        done.append(UInt8(ascii: "}"))
        return done
    }

    static let null = Array("null".utf8)
}
