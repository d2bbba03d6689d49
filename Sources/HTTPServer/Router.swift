/// Method + path-pattern routing over ``HTTPHandler``, with middleware.
///
/// Patterns are literal segments and `:name` parameters (`/v1/databases/:id/extend`). A path that
/// matches some pattern under another method answers 405 with `Allow`; no match answers 404. `HEAD`
/// is served by the `GET` route.
///
/// Middleware given to ``add(_:_:middleware:_:)`` wraps that route (authentication, rate limits,
/// error translation); the chain is composed once, at registration. The router is the one place
/// where errors become responses: a thrown ``ProblemDetails`` is rendered with the configured
/// `problemTypePrefix` (404 and 405 included), ``AbortConnection`` passes through to the server,
/// and anything else is logged with the request id and answered `500 internal`.
public struct Router: HTTPHandler {
    public typealias Handler = HTTPResponder
    /// A handler that answers at once and never blocks (see ``HTTPHandler/immediateResponse(to:)``).
    public typealias ImmediateHandler = @Sendable (HTTPRequest) -> HTTPResponse
    /// A route's fast path, run on the polling thread before its middleware and handler: an answer
    /// for the common case, or nil to take the full path (which must give the same answer, and is
    /// the one that reports every refusal and failure).
    public typealias InlineHandler = @Sendable (HTTPRequest) -> HTTPResponse?
    /// A route's choice of executor for its request's task (see ``HTTPHandler/taskExecutor(for:)``),
    /// made per request: nil for Swift's global pool.
    public typealias ExecutorChoice = @Sendable (HTTPRequest) -> (any TaskExecutor)?

    struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        /// The handler inside its route middleware.
        let responder: HTTPResponder
        let inline: InlineHandler?
        let executor: ExecutorChoice?
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []
    /// Whether any route chooses an executor: if none does, ``taskExecutor(for:)`` resolves nothing.
    private var choosesExecutors = false
    /// Prefix of every rendered problem's `type` (the application's namespace).
    public let problemTypePrefix: String

    public init(problemTypePrefix: String = "urn:problem:") {
        self.problemTypePrefix = problemTypePrefix
    }

    /// Registers a handler for a method and pattern, inside `middleware` (outermost first).
    /// - Parameter inline: An optional fast path (see ``InlineHandler``): it runs on the polling
    ///   thread with no middleware, so it must check what the middleware would (authentication)
    ///   and answer only what the full path would answer the same; it must not block beyond a
    ///   local read.
    ///   - executor: Which executor the request's task prefers (see ``ExecutorChoice``); nil for
    ///     Swift's global pool.
    public mutating func add(
        _ method: String, _ pattern: String, middleware: [any HTTPMiddleware] = [], inline: InlineHandler? = nil,
        executor: ExecutorChoice? = nil, _ handler: @escaping Handler
    ) {
        routes.append(Route(
            method: method.uppercased(), pattern: pattern, segments: Router.segments(pattern),
            responder: middleware.wrapping(handler), inline: inline, executor: executor))
        if executor != nil { choosesExecutors = true }
    }

    /// Registers a handler that answers on the server's polling thread, with no task hop and no
    /// middleware. Only for work that is tiny and never waits (health checks, static answers).
    public mutating func addImmediate(_ method: String, _ pattern: String, _ handler: @escaping ImmediateHandler) {
        routes.append(Route(
            method: method.uppercased(), pattern: pattern, segments: Router.segments(pattern),
            responder: { handler($0) }, inline: { handler($0) }, executor: nil))
    }

    public func immediateResponse(to request: HTTPRequest) -> HTTPResponse? {
        guard case .found(let route, var routed) = resolve(request), let inline = route.inline else { return nil }
        routed.routePattern = route.pattern
        return inline(routed).map { labelled($0, route.pattern) }
    }

    public mutating func get(
        _ pattern: String, middleware: [any HTTPMiddleware] = [], inline: InlineHandler? = nil, _ handler: @escaping Handler
    ) {
        add("GET", pattern, middleware: middleware, inline: inline, handler)
    }
    public mutating func post(
        _ pattern: String, middleware: [any HTTPMiddleware] = [], executor: ExecutorChoice? = nil, _ handler: @escaping Handler
    ) {
        add("POST", pattern, middleware: middleware, executor: executor, handler)
    }
    public mutating func delete(_ pattern: String, middleware: [any HTTPMiddleware] = [], _ handler: @escaping Handler) {
        add("DELETE", pattern, middleware: middleware, handler)
    }

    /// The matched route's choice. The route is resolved again by ``handle(_:)`` (a path split and
    /// a scan of the routes, only when some route chooses at all): the server must pick the
    /// executor before the task exists, and a request carries no resolved route between the two.
    public func taskExecutor(for request: HTTPRequest) -> (any TaskExecutor)? {
        guard choosesExecutors, case .found(let route, let routed) = resolve(request), let choice = route.executor else { return nil }
        return choice(routed)
    }

    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let pattern: String
        do {
            switch resolve(request) {
            case .found(let route, var routed):
                pattern = route.pattern
                routed.routePattern = route.pattern
                return labelled(try await route.responder(routed), pattern)
            case .wrongMethod(var allowed):
                pattern = "unmatched"
                if allowed.contains("GET") { allowed.append("HEAD") }
                throw ProblemDetails.methodNotAllowed(request.method, allowed: allowed)
            case .none:
                pattern = "unmatched"
                throw ProblemDetails.notFound
            }
        } catch let abort as AbortConnection {
            throw abort
        } catch {
            return labelled(render(error, for: request), pattern)
        }
    }

    /// The response for an error that reached the router.
    public func render(_ error: any Error, for request: HTTPRequest) -> HTTPResponse {
        if let problem = error as? ProblemDetails {
            return problem.response(requestID: request.requestID, typePrefix: problemTypePrefix)
        }
        request.logger.error("unhandled error", metadata: ["error": "\(error)"])
        return ProblemDetails.internalError.response(requestID: request.requestID, typePrefix: problemTypePrefix)
    }

    enum Resolution {
        /// The route, and the request with its path parameters filled in.
        case found(Route, HTTPRequest)
        /// The path exists under these other methods.
        case wrongMethod([String])
        case none
    }

    /// The first route matching the path and method (`HEAD` is served by `GET`).
    func resolve(_ request: HTTPRequest) -> Resolution {
        let parts = Router.split(request.path)
        let method = request.method == "HEAD" ? "GET" : request.method
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Router.match(route.segments, parts) else { continue }
            guard route.method == method else {
                allowed.append(route.method)
                continue
            }
            var routed = request
            routed.pathParameters = parameters
            return .found(route, routed)
        }
        return allowed.isEmpty ? .none : .wrongMethod(allowed)
    }

    /// Labels a response with its route pattern (for metrics), unless the handler chose one.
    private func labelled(_ response: HTTPResponse, _ pattern: String) -> HTTPResponse {
        var response = response
        if response.route == nil { response.route = pattern }
        return response
    }

    static func segments(_ pattern: String) -> [Segment] {
        split(pattern).map { part in part.hasPrefix(":") ? .parameter(String(part.dropFirst())) : .literal(String(part)) }
    }

    /// The path's segments, as slices of it (no string is made per segment for matching).
    static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    static func match(_ segments: [Segment], _ parts: [Substring]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        for (segment, part) in zip(segments, parts) {
            if case .literal(let literal) = segment, literal != part { return nil }
        }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            if case .parameter(let name) = segment { parameters[name] = String(part) }
        }
        return parameters
    }
}
