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
            guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { throw .malformed("Authorization header") }
            let digest = Digest.sha256(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces))
            var matched: Int?
            for (index, known) in keyDigests.enumerated() where Digest.constantTimeEquals(digest, known) { matched = index }
            guard matched != nil else { throw .badKey }
            return PartnerPrincipal(id: "key:" + Digest.hex(Array(digest.prefix(4))), webhookID: nil)
        }
        guard request.headers["webhook-signature"] != nil || request.headers["webhook-id"] != nil else { throw .missing }
        return try verifyWebhook(request)
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
