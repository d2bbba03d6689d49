import HTTPServer

/// Adds the pages' security headers (CSP, framing, referrer, caching) to every answer, errors
/// included.
struct PageSecurityHeaders: HTTPMiddleware {
    let headers: HTTPHeaders

    func handle(_ request: HTTPRequest, next: HTTPResponder) async throws -> HTTPResponse {
        var response = try await next(request)
        for field in headers { response.headers.set(field.name, field.value) }
        return response
    }
}

/// Browser routes answer with pages, never JSON: a storage failure becomes a `503` page with
/// `Retry-After` (counted and logged with the request id and the route pattern, never with the
/// path, which may carry a claim token). The claim pages and `/admin` each give their own page.
struct StorageFailurePage: HTTPMiddleware {
    let storageFaults: StorageFaults
    let retryAfterSeconds: Int
    /// The page's HTML, made once.
    let html: String

    func handle(_ request: HTTPRequest, next: HTTPResponder) async throws -> HTTPResponse {
        do {
            return try await next(request)
        } catch where StorageFaults.isStorageFailure(error) {
            storageFaults.record(error, during: "\(request.method) \(request.routePattern ?? "?")", logger: request.logger)
            var response = HTTPResponse.html(html, status: 503)
            response.headers.set("Retry-After", String(retryAfterSeconds))
            return response
        }
    }
}

/// Per-client-address rate limit for the pages and the callback: `429` with `Retry-After`.
struct ClientRateLimit: HTTPMiddleware {
    let limiter: RateLimiter
    let pages: ClaimPages

    func handle(_ request: HTTPRequest, next: HTTPResponder) async throws -> HTTPResponse {
        guard let wait = limiter.acquire(request.remoteAddress ?? "unknown") else { return try await next(request) }
        var response = HTTPResponse.html(pages.message(
            title: "Too many attempts", "Please wait a minute, then open your claim link again."), status: 429)
        response.headers.set("Retry-After", String(wait))
        return response
    }
}
