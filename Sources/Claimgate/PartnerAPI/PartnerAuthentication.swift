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
struct PartnerAuthentication: HTTPMiddleware {
    let authenticator: PartnerAuthenticator

    func handle(_ request: HTTPRequest, next: HTTPResponder) async throws -> HTTPResponse {
        let principal: PartnerPrincipal
        do {
            principal = try authenticator.authenticate(request)
        } catch {
            throw ProblemDetails(status: 401, code: "unauthorized", title: "Unauthorized", detail: error.detail,
                                 headers: ["WWW-Authenticate": "Bearer"])
        }
        var authenticated = request
        authenticated.context[PartnerPrincipalKey.self] = principal
        return try await next(authenticated)
    }
}
