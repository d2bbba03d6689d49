import Foundation
import JSONValues

/// A validated `POST /v1/databases` body.
struct ProvisionRequest: Sendable {
    var name: String?
    var region: String?
    var ttlSeconds: Int?
    var reference: String?
    /// Canonical JSON text.
    var metadata: String?
    /// `keep`, `rotate` or `revoke`: what happens to these credentials at claim (nil: the default).
    var onClaim: String?
    /// SHA-256 (hex) of the canonical body: what "the same request" means for idempotency.
    var fingerprint: String

    static let fields: Set<String> = ["name", "region", "ttlSeconds", "reference", "metadata", "onClaim"]

    /// Parses and validates; throws an error naming the offending field.
    static func parse(_ body: [UInt8], regions: [String], maxTTL: Int) throws(ProvisioningError) -> ProvisionRequest {
        let object: [String: JSONValue]
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            object = [:]
        } else {
            guard let parsed = JSON.parse(body)?.object else {
                throw .invalidJSON
            }
            object = parsed
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw invalid(unknown, "is not a known field (name, region, ttlSeconds, reference, metadata, onClaim).")
        }
        var request = ProvisionRequest(fingerprint: Digest.hex(Digest.sha256(JSONValue.object(object).canonical)))
        if let value = object["name"], !value.isNull {
            // Counted in Unicode scalars, as the schema's CHECK (SQLite's length()) counts them: a
            // "1 character" name made of 60,000 combining marks is 60,001 long, and refused here.
            guard let name = value.string, (1...100).contains(name.unicodeScalars.count),
                  !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
                throw invalid("name", "must be a string of 1 to 100 characters without control characters.")
            }
            request.name = name
        }
        if let value = object["region"], !value.isNull {
            guard let region = value.string, regions.contains(region) else {
                throw invalid("region", "must be one of \(regions.joined(separator: ", ")).")
            }
            request.region = region
        }
        if let value = object["ttlSeconds"], !value.isNull {
            guard let seconds = value.integer, (60...maxTTL).contains(seconds) else {
                throw invalid("ttlSeconds", "must be an integer from 60 to \(maxTTL).")
            }
            request.ttlSeconds = seconds
        }
        if let value = object["reference"], !value.isNull {
            guard let reference = value.string, (1...200).contains(reference.unicodeScalars.count),
                  !reference.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                throw invalid("reference", "must be a string of 1 to 200 characters without control characters (NUL included).")
            }
            request.reference = reference
        }
        if let value = object["metadata"], !value.isNull {
            guard value.object != nil else { throw invalid("metadata", "must be a JSON object.") }
            let text = String(decoding: value.canonical, as: UTF8.self)
            guard text.utf8.count <= 4096 else { throw invalid("metadata", "must be at most 4 KB as JSON.") }
            request.metadata = text
        }
        if let value = object["onClaim"], !value.isNull {
            guard let choice = value.string, ["keep", "rotate", "revoke"].contains(choice) else {
                throw invalid("onClaim", "must be keep, rotate or revoke.")
            }
            request.onClaim = choice
        }
        return request
    }

    static func invalid(_ field: String, _ message: String) -> ProvisioningError {
        .invalidBody(field, message)
    }
}

