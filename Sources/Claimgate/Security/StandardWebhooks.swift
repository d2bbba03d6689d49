import Crypto
import Foundation
import Secrets

/// The Standard Webhooks scheme, shared by the partner-call verifier and the webhook sender:
/// `whsec_<base64>` secrets and HMAC-SHA256 over `"<id>.<timestamp>.<body>"`.
enum StandardWebhooks {
    /// The HMAC key of a `whsec_` secret; `configKey` names the setting in the error.
    static func key(_ secret: Secret, configKey: String) throws(ConfigurationError) -> SymmetricKey {
        guard secret.value.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(secret.value.dropFirst(6))),
              bytes.count >= 16 else {
            throw ConfigurationError(key: configKey, reason: "must be whsec_ followed by the base64 of at least 16 random bytes")
        }
        return SymmetricKey(data: bytes)
    }

    /// The raw MAC of one message.
    static func mac(id: String, timestamp: String, body: [UInt8], key: SymmetricKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array("\(id).\(timestamp).".utf8) + body, using: key))
    }
}
