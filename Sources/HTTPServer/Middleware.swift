/// The rest of the chain, as a middleware sees it.
public typealias HTTPResponder = @Sendable (HTTPRequest) async throws -> HTTPResponse

/// One step around a handler: it may answer itself (refuse, rate-limit), change the request or its
/// context on the way in, change the response on the way out, or turn errors into responses.
///
/// Errors are the normal way to refuse: a middleware or handler throws, and the ``Router`` renders
/// what reaches it (a ``ProblemDetails`` as itself, anything else as a 500) — so there is one
/// place where errors become HTTP.
public protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, next: HTTPResponder) async throws -> HTTPResponse
}

extension Array where Element == any HTTPMiddleware {
    /// Wraps `responder` so that the first middleware runs first (outermost).
    func wrapping(_ responder: @escaping HTTPResponder) -> HTTPResponder {
        reversed().reduce(responder) { next, middleware in
            { request in try await middleware.handle(request, next: next) }
        }
    }
}
