import Logging

/// One buffered HTTP request as handlers see it.
///
/// The whole body is collected before the handler runs (bounded by the server's body limit), so
/// handlers are plain `async` functions with no streaming concerns.
public struct HTTPRequest: Sendable {
    /// Upper-case method, e.g. `GET`.
    public var method: String
    /// The decoded path without the query string, e.g. `/v1/databases/abc`.
    public var path: String
    /// Query parameters in the order they were sent (duplicates kept).
    public var query: [(name: String, value: String)]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The id that correlates this request in logs; also sent back as `X-Request-Id`.
    public var requestID: String
    /// Values the router extracted from `:name` segments of the matched pattern.
    public var pathParameters: [String: String]
    /// The matched route's pattern (`/v1/databases/:id`), set by the router before route middleware
    /// runs: safe to log where the raw path may carry a capability.
    public var routePattern: String?
    /// The peer's numeric address (behind a reverse proxy: the proxy's).
    public var remoteAddress: String?
    /// The request's logger (with `request_id`) and the values middleware attached.
    public var context: RequestContext

    public init(
        method: String, path: String, query: [(name: String, value: String)] = [],
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], requestID: String = "test",
        pathParameters: [String: String] = [:], logger: Logger? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.requestID = requestID
        self.pathParameters = pathParameters
        var logger = logger ?? Logger(label: "http")
        logger[metadataKey: "request_id"] = "\(requestID)"
        self.context = RequestContext(logger: logger)
    }

    /// The request's logger: every line it writes names the request id.
    public var logger: Logger { context.logger }

    /// The first value of a query parameter.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// Every value of a query parameter (a duplicate is often an error worth rejecting).
    public func queryValues(_ name: String) -> [String] {
        query.filter { $0.name == name }.map(\.value)
    }
}
