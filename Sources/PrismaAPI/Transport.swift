import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization
import Timers

/// One outgoing HTTP request, fully buffered.
public struct TransportRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    public var timeout: Duration

    public init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: Duration) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// One HTTP response, fully buffered.
public struct TransportResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A header value, looked up case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Why a request got no HTTP response at all.
public enum TransportFailure: Error, Sendable, Equatable {
    /// No response within the request's timeout (the request may or may not have been applied).
    case timedOut
    /// The connection failed or was dropped (before or after the request was sent).
    case connectionFailed(String)
}

/// The seam between the Prisma clients and the network, so tests and a future AsyncHTTPClient
/// transport can stand in without touching callers.
public protocol HTTPTransport: Sendable {
    func send(_ request: TransportRequest) async throws(TransportFailure) -> TransportResponse
}

/// AsyncHTTPClient (SwiftNIO) with one process-wide client and its connection pool.
///
/// Chosen over Foundation's `URLSession` after measuring both here: on Linux `URLSession` added
/// ~1.2 ms to every Prisma call (libcurl behind dispatch), fired sub-second timeouts at once, and
/// libcurl silently re-sends a request — a duplicate create — when a reused keep-alive connection
/// dies before the answer. AsyncHTTPClient retries nothing by itself (only connection
/// establishment), so keep-alive reuse is safe for every call. The cost is build time (~90 s of
/// SwiftNIO on a cold build). Redirects are refused: one could carry a bearer token elsewhere.
///
/// Calls go through its delegate API (the whole answer gathered on the event loop, one future)
/// rather than its `async` `execute`, which starts a task on Swift's pool for every call (to
/// register it for cancellation; a thread wake-up that cost ~1 switch per provision, counted per
/// thread in `/proc`) and hands the body over as a stream. Cancelling the calling task still
/// cancels the call. The call's timeout is kept by ``Deadlines`` (one thread, armed without waking
/// anyone) instead of AsyncHTTPClient's deadline, a timer on the event loop that, armed from the
/// caller's thread, woke the loop once more per call (an `eventfd` write on the provisioning
/// thread's path, ~25 µs here); it covers the body too.
public struct AsyncHTTPClientTransport: HTTPTransport {
    /// Lives as long as the process, so it never needs (or gets) a shutdown.
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5)),
            decompression: .disabled)
        configuration.connectionPool.idleTimeout = .seconds(30)
        // No tracer: Claimgate bootstraps none, and a span per call re-parses the URL (~1 % of
        // the provisioning thread's time in `perf`, for a no-op span).
        configuration.tracing.tracer = nil
        // One event loop of the shared group, not the group: given the group, AsyncHTTPClient
        // hands a request to any loop while its pooled connection lives on one of them, so about
        // every other call crossed between the two loop threads (a wake-up each way, counted per
        // thread in /proc). One loop easily carries one process's calls to one host.
        return HTTPClient(eventLoopGroup: loop, configuration: configuration)
    }()

    /// The client's one loop (see above), which also delivers the answers.
    private static let loop: any EventLoop = HTTPClient.defaultEventLoopGroup.next()

    /// Largest answer body read (Prisma's answers are small JSON documents).
    let maxBodyBytes: Int

    public init(maxBodyBytes: Int = 4 << 20) {
        self.maxBodyBytes = maxBodyBytes
    }

    public func send(_ request: TransportRequest) async throws(TransportFailure) -> TransportResponse {
        var headers = HTTPHeaders()
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        let outgoing: HTTPClient.Request
        do {
            outgoing = try HTTPClient.Request(
                url: request.url, method: HTTPMethod(rawValue: request.method), headers: headers,
                body: request.body.map { .bytes(Array($0)) })
        } catch {
            throw .connectionFailed(Self.describe(error))
        }
        let result = await Self.execute(outgoing, timeout: request.timeout, maxBodyBytes: maxBodyBytes)
        switch result {
        case .success(let response):
            var fields: [String: String] = [:]
            for field in response.headers { fields[field.name] = field.value }
            return TransportResponse(status: Int(response.status.code), headers: fields, body: response.body.map { Data(buffer: $0) } ?? Data())
        case .failure(let error as HTTPClientError)
            where [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error):
            throw .timedOut
        case .failure(is TimedOut):
            throw .timedOut
        case .failure(let error):
            throw .connectionFailed(Self.describe(error))
        }
    }

    /// Runs `request`; the answer, or why there is none (``TimedOut`` once `timeout` passed), once
    /// the whole body is in.
    private static func execute(_ request: HTTPClient.Request, timeout: Duration, maxBodyBytes: Int) async
        -> Result<HTTPClient.Response, any Error> {
        let task = client.execute(
            request: request, delegate: ResponseAccumulator(request: request, maxBodySize: maxBodyBytes),
            eventLoop: .delegateAndChannel(on: loop), deadline: nil)
        let expired = Atomic<Bool>(false)
        let deadline = Deadlines.shared.add(after: timeout) {
            expired.store(true, ordering: .sequentiallyConsistent)
            task.cancel()
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPClient.Response, any Error>, Never>) in
                task.futureResult.whenComplete { continuation.resume(returning: $0) }
            }
        } onCancel: {
            task.cancel()
        }
        Deadlines.shared.cancel(deadline)
        if case .failure = result, expired.load(ordering: .sequentiallyConsistent) { return .failure(TimedOut()) }
        return result
    }

    /// The call's timeout passed before its answer was in.
    private struct TimedOut: Error {}

    private static func describe(_ error: any Error) -> String {
        (error as? HTTPClientError)?.shortDescription ?? "\(type(of: error))"
    }
}
