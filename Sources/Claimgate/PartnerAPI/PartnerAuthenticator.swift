import Crypto
import Foundation
import HTTPServer
import Secrets

/// Who a partner request comes from, and the idempotency scope it implies.
public struct PartnerPrincipal: Sendable, Equatable {
    /// `key:<8 hex of the key's SHA-256>` or `webhook`.
    public let id: String
    /// For signed (webhook-style) calls, the `webhook-id`, which doubles as the idempotency key.
    public let webhookID: String?
}

/// Authenticates partner calls: `Authorization: Bearer <API key>` (constant-time against every
/// configured key), or a Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`) within ±5 minutes.
public struct PartnerAuthenticator: Sendable {
    let keyDigests: [[UInt8]]
    let webhookKey: SymmetricKey?
    let clock: any WallClock
    static let tolerance: TimeInterval = 300

    /// - Parameters:
    ///   - apiKeys: Accepted bearer keys.
    ///   - webhookSecret: `whsec_<base64>` (the base64 part is the HMAC key), or nil.
    public init(apiKeys: [Secret], webhookSecret: Secret?, clock: any WallClock) throws(ConfigurationError) {
        keyDigests = apiKeys.map { Digest.sha256($0.value) }
        self.clock = clock
        webhookKey = try webhookSecret.map { secret throws(ConfigurationError) in
            try StandardWebhooks.key(secret, configKey: "claimgate.webhookSecret")
        }
    }

    public enum Failure: Error, Sendable, Equatable {
        case missing, badKey, badSignature, staleTimestamp, malformed(String)

        var detail: String {
            switch self {
            case .missing: return "Send Authorization: Bearer <API key>, or Standard Webhooks signature headers."
            case .badKey: return "The API key is not valid."
            case .badSignature: return "The webhook signature does not match."
            case .staleTimestamp: return "webhook-timestamp is more than 5 minutes from now."
            case .malformed(let what): return "Malformed \(what)."
            }
        }
    }

    public func authenticate(_ request: HTTPRequest) throws(Failure) -> PartnerPrincipal {
        if let authorization = request.headers["Authorization"] {
            guard let token = Self.bearerToken(authorization) else { throw .malformed("Authorization header") }
            guard let digest = knownDigest(of: token) else { throw .badKey }
            return PartnerPrincipal(id: "key:" + Digest.hex(Array(digest.prefix(4))), webhookID: nil)
        }
        guard request.headers["webhook-signature"] != nil || request.headers["webhook-id"] != nil else { throw .missing }
        return try verifyWebhook(request)
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, spaces and tabs around the token
    /// dropped), or nil when the header is not that. Bytes, not Foundation: it runs on every API
    /// call, and `trimmingCharacters` alone was 4 % of an API read.
    static func bearerToken(_ header: String) -> [UInt8]? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count else { return nil }
        for (byte, expected) in zip(bytes, scheme) {
            let lower = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte
            guard lower == expected else { return nil }
        }
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        var start = scheme.count, end = bytes.count
        while start < end && isBlank(bytes[start]) { start += 1 }
        while end > start && isBlank(bytes[end - 1]) { end -= 1 }
        return Array(bytes[start..<end])
    }

    /// Whether the request carries a valid API key (not a signed call), without saying why not:
    /// for a fast path whose caller falls back to ``PartnerAuthentication`` on `false`, which
    /// then gives the refusal its answer.
    public func acceptsAPIKey(_ request: HTTPRequest) -> Bool {
        // Any refusal is answered on the full path, with its 401 and detail.
        guard let authorization = request.headers["Authorization"], let token = Self.bearerToken(authorization) else { return false }
        return knownDigest(of: token) != nil
    }

    /// The token's SHA-256 when it is one of the configured keys, compared in constant time with
    /// every one of them (the time says nothing about which key, or how much of it, matched).
    private func knownDigest(of token: [UInt8]) -> [UInt8]? {
        let digest = Digest.sha256(token)
        var matched = false
        for known in keyDigests where Digest.constantTimeEquals(digest, known) { matched = true }
        return matched ? digest : nil
    }

    private func verifyWebhook(_ request: HTTPRequest) throws(Failure) -> PartnerPrincipal {
        guard let key = webhookKey else { throw .badSignature }
        guard let id = request.headers["webhook-id"], (1...255).contains(id.utf8.count),
              id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { throw .malformed("webhook-id") }
        guard let stamp = request.headers["webhook-timestamp"], (1...12).contains(stamp.count),
              stamp.allSatisfy(\.isASCII), stamp.allSatisfy(\.isNumber), let seconds = Double(stamp) else {
            throw .malformed("webhook-timestamp")
        }
        guard abs(clock.now().timeIntervalSince1970 - seconds) <= PartnerAuthenticator.tolerance else { throw .staleTimestamp }
        guard let header = request.headers["webhook-signature"], header.utf8.count <= 4096 else { throw .malformed("webhook-signature") }
        let expected = StandardWebhooks.mac(id: id, timestamp: stamp, body: request.body, key: key)
        var valid = false
        for entry in header.split(separator: " ") {
            let parts = entry.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let given = Data(base64Encoded: String(parts[1])) else { continue }
            if Digest.constantTimeEquals(Array(given), expected) { valid = true }
        }
        guard valid else { throw .badSignature }
        return PartnerPrincipal(id: "webhook", webhookID: id)
    }
}
