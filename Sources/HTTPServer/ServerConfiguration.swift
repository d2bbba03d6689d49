import Logging

/// Production settings of the libmicrohttpd daemon. None of these is optional in production:
/// MHD's defaults hold idle connections forever and cap connections near 1,000 (see
/// ../shared/security-notes.md §6).
public struct ServerConfiguration: Sendable {
    /// Address to bind: numeric IPv4/IPv6 or a resolvable name; empty binds every interface.
    public var host: String
    /// Port to bind; 0 picks a free one (read it back from ``HTTPServer/port``).
    public var port: UInt16
    /// Polling threads (epoll); defaults to the number of cores.
    public var threadPoolSize: Int
    /// Simultaneous connections, suspended ones included.
    public var connectionLimit: Int
    /// Idle seconds before a connection is closed (suspended connections are exempt; see ``handlerTimeout``).
    public var connectionTimeoutSeconds: Int
    /// Per-connection memory pool (headers and I/O buffers); a request whose headers overflow it gets 431.
    public var connectionMemoryLimitBytes: Int
    /// Largest request body accepted; larger bodies get 413 and are not buffered.
    public var maxBodyBytes: Int
    /// Largest total size of request header names and values; larger gets 431.
    public var maxHeaderBytes: Int
    /// Simultaneous connections from one client address (0: no limit). Well under
    /// ``connectionLimit``, so one address cannot take every connection.
    public var perAddressConnectionLimit: Int
    /// Longest a client may take to send one whole request (head and body) once its request line
    /// arrived; a slower one gets `408` and the connection is closed. libmicrohttpd's own idle
    /// timeout restarts at every byte, so a client trickling a header line every few seconds would
    /// otherwise hold its connection for as long as it likes.
    public var requestReceiveTimeout: Duration
    /// Most query parameters a request may carry; more gets `414` at once.
    public var maxQueryParameters: Int
    /// Longest a handler may run before the client gets a 503 problem.
    public var handlerTimeout: Duration
    /// Longest a graceful stop waits for in-flight requests.
    public var drainTimeout: Duration
    /// Receives libmicrohttpd's own error messages, and errors no handler turned into an answer.
    public var errorLog: @Sendable (String) -> Void
    /// Prefix of the `type` URI of the problems the transport itself answers with (the
    /// application's namespace: the transport names no product).
    public var problemTypePrefix: String
    /// The logger each request's context starts from (the server adds `request_id`).
    public var logger: Logger

    public init(
        host: String = "127.0.0.1",
        port: UInt16 = 8080,
        threadPoolSize: Int = 0,
        connectionLimit: Int = 10_000,
        connectionTimeoutSeconds: Int = 30,
        connectionMemoryLimitBytes: Int = 12 * 1024,
        maxBodyBytes: Int = 1 << 20,
        maxHeaderBytes: Int = 8 * 1024,
        perAddressConnectionLimit: Int = 256,
        requestReceiveTimeout: Duration = .seconds(10),
        maxQueryParameters: Int = 64,
        handlerTimeout: Duration = .seconds(30),
        drainTimeout: Duration = .seconds(10),
        errorLog: @escaping @Sendable (String) -> Void = { _ in },
        problemTypePrefix: String = "urn:problem:",
        logger: Logger = Logger(label: "http")
    ) {
        self.host = host
        self.port = port
        self.threadPoolSize = threadPoolSize
        self.connectionLimit = connectionLimit
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.connectionMemoryLimitBytes = connectionMemoryLimitBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.perAddressConnectionLimit = perAddressConnectionLimit
        self.requestReceiveTimeout = requestReceiveTimeout
        self.maxQueryParameters = maxQueryParameters
        self.handlerTimeout = handlerTimeout
        self.drainTimeout = drainTimeout
        self.errorLog = errorLog
        self.problemTypePrefix = problemTypePrefix
        self.logger = logger
    }
}

/// What the server reports about each finished request (for access logs and metrics).
public struct AccessRecord: Sendable {
    public var requestID: String
    public var method: String
    /// The request path. Callers that log it should strip anything secret (see the claim routes).
    public var path: String
    /// The matched route pattern, or a fixed label such as `rejected` for transport-level refusals.
    public var route: String
    public var status: Int
    public var duration: Duration
    public var responseBytes: Int

    public init(requestID: String, method: String, path: String, route: String, status: Int, duration: Duration,
                responseBytes: Int) {
        self.requestID = requestID
        self.method = method
        self.path = path
        self.route = route
        self.status = status
        self.duration = duration
        self.responseBytes = responseBytes
    }
}
