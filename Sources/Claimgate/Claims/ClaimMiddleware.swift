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

/// Browser routes answer with pages, never JSON: a storage failure becomes a `503` page (counted
/// and logged with the request id, never with the path, which carries the claim token).
struct ClaimPageErrors: HTTPMiddleware {
    let storageFaults: StorageFaults
    let pages: ClaimPages

    func handle(_ request: HTTPRequest, next: HTTPResponder) async throws -> HTTPResponse {
        do {
            return try await next(request)
        } catch where StorageFaults.isStorageFailure(error) {
            storageFaults.record(error, during: "\(request.method) \(request.routePattern ?? "?")", logger: request.logger)
            var response = HTTPResponse.html(pages.message(
                title: "Claimgate is having trouble",
                "Claimgate could not read or record this step. Nothing was lost: if you just approved the claim at Prisma, it is finished as soon as Claimgate recovers. Please open your claim link again in a minute."),
                status: 503)
            response.headers.set("Retry-After", "30")
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
