import Foundation
import HTTPServer
import Secrets

/// Who may see `/admin`: HTTP Basic (user `admin`, `CLAIMGATE_ADMIN_PASSWORD`) or a session cookie
/// from the login form (``AdminSessions``).
///
/// The password is compared as a SHA-256 digest in constant time (no early exit, whatever the
/// lengths). Every request, before any comparison, takes a token from a per-address bucket, so one
/// address can try at most ``attemptsPerMinute`` passwords a minute; past it the answer is `429`,
/// right or wrong. Neither the password nor the header ever reaches a log line or a page.
struct AdminAuthentication: HTTPMiddleware {
    let expected: [UInt8]
    let limiter: RateLimiter
    let sessions: AdminSessions
    let pages: AdminPages
    static let attemptsPerMinute = 30
    static let challenge = #"Basic realm="Claimgate admin", charset="UTF-8""#

    init(password: Secret, limiter: RateLimiter, sessions: AdminSessions, pages: AdminPages) {
        expected = Digest.sha256("admin:" + password.value)
        self.limiter = limiter
        self.sessions = sessions
        self.pages = pages
    }

    func handle(_ request: HTTPRequest, next: HTTPResponder) async throws -> HTTPResponse {
        if let refused = throttle(request) { return refused }
        if sessions.isSignedIn(request.headers.values("Cookie")) { return try await next(request) }
        guard let given = AdminAuthentication.basicCredentials(request), matches(given) else {
            if request.headers["Authorization"] != nil {
                request.logger.notice("admin sign-in refused", metadata: ["remote": "\(request.remoteAddress ?? "unknown")"])
            }
            return signInPage(status: 401, problem: nil, challenge: true)
        }
        return try await next(request)
    }

    /// `429` when this address used up its tries, else nil.
    func throttle(_ request: HTTPRequest) -> HTTPResponse? {
        guard let wait = limiter.acquire(request.remoteAddress ?? "unknown") else { return nil }
        var response = HTTPResponse.html(pages.message(title: "Too many attempts", "Wait a minute before trying again."), status: 429)
        response.headers.set("Retry-After", String(wait))
        return response
    }

    /// Whether `user:password` is the admin's, in constant time.
    func matches(_ credentials: String) -> Bool {
        Digest.constantTimeEquals(Digest.sha256(credentials), expected)
    }

    /// The login form; with `challenge`, also the Basic challenge (a browser asks in its own dialog
    /// first, and shows the form when that is dismissed). The form's own answers carry no challenge,
    /// so a wrong password typed into it does not pop a dialog up.
    func signInPage(status: Int, problem: String?, challenge: Bool) -> HTTPResponse {
        var response = HTTPResponse.html(pages.signIn(problem: problem), status: status)
        if challenge { response.headers.set("WWW-Authenticate", AdminAuthentication.challenge) }
        return response
    }

    /// `user:password` from `Authorization: Basic …`, or nil.
    static func basicCredentials(_ request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"], header.utf8.count > 6, header.utf8.count < 1024,
              header.prefix(6).lowercased() == "basic ",
              let decoded = Data(base64Encoded: header.dropFirst(6).trimmingCharacters(in: .whitespaces)) else { return nil }
        return String(data: decoded, encoding: .utf8)
    }
}
