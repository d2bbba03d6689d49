/// Method + path-pattern routing over ``HTTPHandler``.
///
/// Patterns are literal segments and `:name` parameters (`/v1/databases/:id/extend`). A path that
/// matches some pattern under another method answers 405 with `Allow`; no match answers 404. Both
/// are problem documents. `HEAD` is served by the `GET` route.
public struct Router: HTTPHandler {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let handler: Handler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []

    public init() {}

    /// Registers a handler for a method and pattern.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        let segments = Router.split(pattern).map { part -> Segment in
            part.hasPrefix(":") ? .parameter(String(part.dropFirst())) : .literal(part)
        }
        routes.append(Route(method: method.uppercased(), pattern: pattern, segments: segments, handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add("DELETE", pattern, handler) }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
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
            var response = await route.handler(routed)
            if response.route == nil { response.route = route.pattern }
            return response
        }
        if !allowed.isEmpty {
            if allowed.contains("GET") { allowed.append("HEAD") }
            var response = ProblemDetails.methodNotAllowed(request.method)
                .response(requestID: request.requestID, headers: ["Allow": allowed.joined(separator: ", ")])
            response.route = "unmatched"
            return response
        }
        var response = ProblemDetails.notFound(request.path).response(requestID: request.requestID)
        response.route = "unmatched"
        return response
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
