/// Method + path-pattern routing over ``HTTPHandler``.
///
/// Patterns are literal segments and `:name` parameters (`/v1/databases/:id/extend`). A path that
/// matches some pattern under another method answers 405 with `Allow`; no match answers 404. Both
/// are problem documents. `HEAD` is served by the `GET` route.
public struct Router: HTTPHandler {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    /// A handler that answers at once and never blocks (see ``HTTPHandler/immediateResponse(to:)``).
    public typealias ImmediateHandler = @Sendable (HTTPRequest) -> HTTPResponse

    struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let handler: Handler
        let immediate: ImmediateHandler?
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []

    public init() {}

    /// Registers a handler for a method and pattern.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(
            method: method.uppercased(), pattern: pattern, segments: Router.segments(pattern), handler: handler,
            immediate: nil))
    }

    /// Registers a handler that answers on the server's polling thread, with no task hop. Only for
    /// work that is tiny and never waits (health checks, static answers).
    public mutating func addImmediate(_ method: String, _ pattern: String, _ handler: @escaping ImmediateHandler) {
        routes.append(Route(
            method: method.uppercased(), pattern: pattern, segments: Router.segments(pattern),
            handler: { handler($0) }, immediate: handler))
    }

    public func immediateResponse(to request: HTTPRequest) -> HTTPResponse? {
        guard case .found(let route, let routed) = resolve(request), let immediate = route.immediate else { return nil }
        return labelled(immediate(routed), route)
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add("DELETE", pattern, handler) }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        var response: HTTPResponse
        switch resolve(request) {
        case .found(let route, let routed):
            return labelled(await route.handler(routed), route)
        case .wrongMethod(var allowed):
            if allowed.contains("GET") { allowed.append("HEAD") }
            response = ProblemDetails.methodNotAllowed(request.method)
                .response(requestID: request.requestID, headers: ["Allow": allowed.joined(separator: ", ")])
        case .none:
            response = ProblemDetails.notFound.response(requestID: request.requestID)
        }
        response.route = "unmatched"
        return response
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
    private func labelled(_ response: HTTPResponse, _ route: Route) -> HTTPResponse {
        var response = response
        if response.route == nil { response.route = route.pattern }
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
