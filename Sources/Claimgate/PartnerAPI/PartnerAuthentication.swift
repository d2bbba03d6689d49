import HTTPServer

/// The authenticated partner of a request, set by ``PartnerAuthentication``.
enum PartnerPrincipalKey: RequestContextKey {
    typealias Value = PartnerPrincipal
}

extension HTTPRequest {
    /// The partner that made this request (present behind ``PartnerAuthentication``).
    var principal: PartnerPrincipal? { context[PartnerPrincipalKey.self] }
}

/// Refuses unauthenticated partner calls with `401` before any handler runs, and hands the
/// principal to the handler through the request context.
///
/// Standard-Webhooks-signed calls (the webhook-style use) are accepted only where
/// `acceptsSignedCalls` is set — `POST /v1/databases` — because the signature covers
/// `id.timestamp.body` and not the method or path: a captured signed request replayed to another
/// route within the 5-minute window must open nothing.
struct PartnerAuthentication: HTTPMiddleware {
    let authenticator: PartnerAuthenticator
    var acceptsSignedCalls = false

    func handle(_ request: HTTPRequest, next: HTTPResponder) async throws -> HTTPResponse {
        let principal: PartnerPrincipal
        do {
            principal = try authenticator.authenticate(request)
        } catch {
            throw ProblemDetails(status: 401, code: "unauthorized", title: "Unauthorized", detail: error.detail,
                                 headers: ["WWW-Authenticate": "Bearer"])
        }
        if principal.webhookID != nil && !acceptsSignedCalls {
            throw ProblemDetails(status: 401, code: "unauthorized", title: "Unauthorized",
                                 detail: "Signed (webhook-style) calls are accepted on POST /v1/databases only; use the API key here.",
                                 headers: ["WWW-Authenticate": "Bearer"])
        }
        var authenticated = request
        authenticated.context[PartnerPrincipalKey.self] = principal
        return try await next(authenticated)
    }
}
