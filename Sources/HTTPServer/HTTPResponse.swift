/// A complete HTTP response. Bodies are small JSON or HTML documents, so they are held in memory.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The route pattern that produced this response (set by ``Router``), used as a low-cardinality
    /// label for metrics and access logs. `nil` when no route matched.
    public var route: String?

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], route: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.route = route
    }

    /// A plain-text response.
    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    /// A response whose body is already-encoded JSON.
    public static func json(_ body: [UInt8], status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: body)
    }

    /// An HTML page; pages never get cached and never leak the URL through `Referer`.
    public static func html(_ html: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [
                "Content-Type": "text/html; charset=utf-8",
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            ],
            body: Array(html.utf8))
    }

    /// A redirect with `303 See Other` (the browser follows it with `GET`).
    public static func seeOther(_ location: String, headers extra: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var headers = extra
        headers.set("Location", location)
        headers.set("Cache-Control", "no-store")
        return HTTPResponse(status: 303, headers: headers)
    }
}

/// Thrown by a handler to close the connection without any answer, as a crashed or cut-off peer
/// would (a server under attack, or a test double playing a broken upstream).
public struct AbortConnection: Error, Sendable {
    public init() {}
}

/// The one seam between the transport and the application: one request in, one response out.
///
/// A thrown ``ProblemDetails`` is sent as itself; ``AbortConnection`` closes the connection; any
/// other error becomes a `500 internal` problem (and is reported to the server's error log), so
/// an error never leaves a client without an answer.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) async throws -> HTTPResponse

    /// A response that can be produced at once, without waiting for anything, or `nil`.
    ///
    /// The server calls this on its polling thread before suspending the connection; a non-nil
    /// answer skips the task hop (health checks, which must never queue behind work, and the
    /// fast paths of ``Router/InlineHandler``). Implementations must not wait on anything but a
    /// local read of a few pages: the polling thread serves every connection it holds.
    func immediateResponse(to request: HTTPRequest) -> HTTPResponse?

    /// The executor the request's task should prefer (SE-0417 task executor preference), or nil
    /// for Swift's global pool.
    ///
    /// Called on the polling thread just before the task starts, so it must be as cheap as
    /// ``immediateResponse(to:)``. Why a handler would name one: a request whose work is mostly
    /// on one thread of the application's own (a storage writer) saves two thread hand-offs —
    /// pool to that thread and back — when its task runs there from the start.
    func taskExecutor(for request: HTTPRequest) -> (any TaskExecutor)?
}

extension HTTPHandler {
    public func immediateResponse(to request: HTTPRequest) -> HTTPResponse? { nil }
    public func taskExecutor(for request: HTTPRequest) -> (any TaskExecutor)? { nil }
}

/// Adapts a closure to ``HTTPHandler``.
public struct ClosureHandler: HTTPHandler {
    let body: @Sendable (HTTPRequest) async throws -> HTTPResponse
    public init(_ body: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) { self.body = body }
    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse { try await body(request) }
}
