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

    struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        /// The handler inside its route middleware.
        let responder: HTTPResponder
        let immediate: ImmediateHandler?
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []
    /// Prefix of every rendered problem's `type` (the application's namespace).
    public let problemTypePrefix: String

    public init(problemTypePrefix: String = "urn:problem:") {
        self.problemTypePrefix = problemTypePrefix
    }

    /// Registers a handler for a method and pattern, inside `middleware` (outermost first).
    public mutating func add(
        _ method: String, _ pattern: String, middleware: [any HTTPMiddleware] = [], _ handler: @escaping Handler
    ) {
        routes.append(Route(
            method: method.uppercased(), pattern: pattern, segments: Router.segments(pattern),
            responder: middleware.wrapping(handler), immediate: nil))
    }

    /// Registers a handler that answers on the server's polling thread, with no task hop and no
    /// middleware. Only for work that is tiny and never waits (health checks, static answers).
    public mutating func addImmediate(_ method: String, _ pattern: String, _ handler: @escaping ImmediateHandler) {
        routes.append(Route(
            method: method.uppercased(), pattern: pattern, segments: Router.segments(pattern),
            responder: { handler($0) }, immediate: handler))
    }

    public func immediateResponse(to request: HTTPRequest) -> HTTPResponse? {
        guard case .found(let route, let routed) = resolve(request), let immediate = route.immediate else { return nil }
        return labelled(immediate(routed), route.pattern)
    }

    public mutating func get(_ pattern: String, middleware: [any HTTPMiddleware] = [], _ handler: @escaping Handler) {
        add("GET", pattern, middleware: middleware, handler)
    }
    public mutating func post(_ pattern: String, middleware: [any HTTPMiddleware] = [], _ handler: @escaping Handler) {
        add("POST", pattern, middleware: middleware, handler)
    }
    public mutating func delete(_ pattern: String, middleware: [any HTTPMiddleware] = [], _ handler: @escaping Handler) {
        add("DELETE", pattern, middleware: middleware, handler)
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
        split(pattern).map { part in part.hasPrefix(":") ? .parameter(String(part.dropFirst())) : .literal(part) }
    }

    static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func match(_ segments: [Segment], _ parts: [String]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal): if literal != part { return nil }
            case .parameter(let name): parameters[name] = part
            }
        }
        return parameters
    }
}
