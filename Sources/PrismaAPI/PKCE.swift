import Crypto
import Foundation
import Secrets

/// Proof Key for Code Exchange (RFC 7636), S256 only.
public enum PKCE {
    /// A fresh verifier: 32 random bytes, base64url → 43 characters of `[A-Za-z0-9-_]`.
    public static func makeVerifier() -> Secret {
        Secret(SecureRandom.token())
    }

    /// `BASE64URL(SHA256(verifier))`.
    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(verifier.utf8)))
    }

    /// Whether a verifier has RFC 7636's shape: 43–128 characters of `[A-Za-z0-9-._~]`.
    public static func isWellFormed(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count) && verifier.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == 0x2d || byte == 0x2e || byte == 0x5f || byte == 0x7e
        }
    }
}
