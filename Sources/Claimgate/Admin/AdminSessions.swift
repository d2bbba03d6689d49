import Foundation
import Secrets
import Synchronization

/// Sign-ins made with the login form: a random 256-bit token in an `HttpOnly`, `SameSite=Strict`
/// cookie, remembered here only as its SHA-256 (in memory: a restart signs everyone out, which an
/// operator tool can afford). HTTP Basic keeps working beside it.
final class AdminSessions: Sendable {
    private let sessions = Mutex<[[UInt8]: Int64]>([:])
    let clock: any WallClock
    /// `__Host-` cookies must be `Secure`: plain-HTTP loopback development gets an unprefixed name.
    let cookieName: String
    let secure: Bool
    static let lifetime: Int64 = 43_200_000
    static let maxSessions = 1000

    init(clock: any WallClock, secure: Bool) {
        self.clock = clock
        self.secure = secure
        cookieName = secure ? "__Host-claimgate_admin" : "claimgate_admin"
    }

    /// A new session; returns the `Set-Cookie` value.
    func start() -> String {
        let token = SecureRandom.token()
        let now = clock.milliseconds()
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value > now }
            if sessions.count >= AdminSessions.maxSessions, let oldest = sessions.min(by: { $0.value < $1.value })?.key {
                sessions[oldest] = nil
            }
            sessions[Digest.sha256(token)] = now + AdminSessions.lifetime
        }
        return "\(cookieName)=\(token); \(flags(maxAge: AdminSessions.lifetime / 1000))"
    }

    /// Whether the request carries a live session cookie.
    func isSignedIn(_ cookieHeaders: [String]) -> Bool {
        guard let token = token(cookieHeaders) else { return false }
        let digest = Digest.sha256(token), now = clock.milliseconds()
        return sessions.withLock { ($0[digest] ?? 0) > now }
    }

    /// Ends the request's session; returns the `Set-Cookie` value that clears the cookie.
    func end(_ cookieHeaders: [String]) -> String {
        if let token = token(cookieHeaders) {
            let digest = Digest.sha256(token)
            sessions.withLock { $0[digest] = nil }
        }
        return "\(cookieName)=; \(flags(maxAge: 0))"
    }

    private func flags(maxAge: Int64) -> String {
        "HttpOnly; SameSite=Strict; Path=/; Max-Age=\(maxAge)" + (secure ? "; Secure" : "")
    }

    private func token(_ cookieHeaders: [String]) -> String? {
        for header in cookieHeaders {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName {
                    let value = parts[1].trimmingCharacters(in: .whitespaces)
                    return SecureRandom.isToken(value) ? value : nil
                }
            }
        }
        return nil
    }
}
