import Crypto
import Foundation
import Secrets

/// Sign-ins made with the login form: an `HttpOnly`, `SameSite=Strict` cookie that any replica can
/// check without shared state.
///
/// The value is `<expires ms>.<base64url HMAC-SHA256>` over the expiry and a digest of the admin
/// password, keyed with a key derived from the encryption key (which every replica shares). So a
/// cookie works on every replica behind a load balancer, lasts ``lifetime``, and stops working
/// everywhere when the password changes. "Sign out" clears the cookie in the browser; there is no
/// server-side list to revoke from, which is why the lifetime is short. HTTP Basic works beside it.
struct AdminSessions: Sendable {
    let key: SymmetricKey
    let passwordDigest: String
    let clock: any WallClock
    /// `__Host-` cookies must be `Secure`: plain-HTTP loopback development gets an unprefixed name.
    let cookieName: String
    let secure: Bool
    static let lifetime: Int64 = 43_200_000

    init(box: SecretBox, password: Secret, clock: any WallClock, secure: Bool) {
        key = box.derivedKey(purpose: "claimgate admin session v1")
        passwordDigest = Digest.hex(Digest.sha256("admin:" + password.value))
        self.clock = clock
        self.secure = secure
        cookieName = secure ? "__Host-claimgate_admin" : "claimgate_admin"
    }

    /// A new session; returns the `Set-Cookie` value.
    func start() -> String {
        let expires = clock.milliseconds() + AdminSessions.lifetime
        let code = Data(HMAC<SHA256>.authenticationCode(for: message(expires), using: key))
        return "\(cookieName)=\(expires).\(DeleteConfirmation.base64url(code)); \(flags(maxAge: AdminSessions.lifetime / 1000))"
    }

    /// Whether the request carries a live session cookie (compared in constant time).
    func isSignedIn(_ cookieHeaders: [String]) -> Bool {
        guard let value = value(cookieHeaders) else { return false }
        let parts = value.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, parts[0].count <= 16, let expires = Int64(parts[0]),
              let code = DeleteConfirmation.decodeBase64url(String(parts[1])) else { return false }
        let now = clock.milliseconds()
        guard expires > now, expires <= now + AdminSessions.lifetime + 60_000 else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: message(expires), using: key)
    }

    /// The `Set-Cookie` value that clears the cookie.
    func end() -> String { "\(cookieName)=; \(flags(maxAge: 0))" }

    private func message(_ expires: Int64) -> Data { Data("admin-session\n\(expires)\n\(passwordDigest)".utf8) }

    private func flags(maxAge: Int64) -> String {
        "HttpOnly; SameSite=Strict; Path=/; Max-Age=\(maxAge)" + (secure ? "; Secure" : "")
    }

    private func value(_ cookieHeaders: [String]) -> String? {
        for header in cookieHeaders {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName, parts[1].count <= 80 {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}
