import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One outgoing HTTP request, fully buffered.
public struct TransportRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    public var timeout: Duration
    /// False for requests that must never be sent twice (creates, transfers, token calls): they go
    /// over a connection of their own, because libcurl silently re-sends a request once when a
    /// *reused* keep-alive connection dies before the answer — a duplicate create.
    public var allowsConnectionReuse: Bool

    public init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: Duration,
                allowsConnectionReuse: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.allowsConnectionReuse = allowsConnectionReuse
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

/// Foundation's `URLSession` (libcurl on Linux) with long-lived sessions.
///
/// Chosen over AsyncHTTPClient for build cost (seconds instead of minutes) and the system TLS/CA
/// store; sessions are never invalidated, which avoids the teardown races seen on Linux. Reads
/// share a pool of keep-alive connections; requests that must not be repeated use a second
/// session whose connections are closed after each answer (see
/// ``TransportRequest/allowsConnectionReuse``).
public final class URLSessionTransport: HTTPTransport {
    private let pooled: URLSession
    private let unpooled: URLSession

    public init(maximumConnectionsPerHost: Int = 8) {
        func make() -> URLSession {
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpMaximumConnectionsPerHost = maximumConnectionsPerHost
            configuration.httpCookieStorage = nil
            configuration.httpShouldSetCookies = false
            configuration.urlCache = nil
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            return URLSession(configuration: configuration, delegate: RedirectRefuser(), delegateQueue: nil)
        }
        pooled = make()
        unpooled = make()
    }

    public func send(_ request: TransportRequest) async throws(TransportFailure) -> TransportResponse {
        let session = request.allowsConnectionReuse ? pooled : unpooled
        var urlRequest = URLRequest(url: request.url)
        if !request.allowsConnectionReuse { urlRequest.setValue("close", forHTTPHeaderField: "Connection") }
        urlRequest.httpMethod = request.method
        // FoundationNetworking on Linux truncates the interval to whole seconds for libcurl and
        // fires at once for anything under a second (observed: a 0.3 s timeout failed after 18 ms),
        // so round up to whole seconds.
        let seconds = Double(request.timeout.components.seconds) + Double(request.timeout.components.attoseconds) / 1e18
        urlRequest.timeoutInterval = max(1, seconds.rounded(.up))
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        do {
            let (data, response) = try await session.data(for: urlRequest)
            guard let http = response as? HTTPURLResponse else { throw TransportFailure.connectionFailed("not HTTP") }
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields { headers["\(key)"] = "\(value)" }
            return TransportResponse(status: http.statusCode, headers: headers, body: data)
        } catch let error as URLError where error.code == .timedOut {
            throw .timedOut
        } catch let failure as TransportFailure {
            throw failure
        } catch let error as URLError {
            throw .connectionFailed("URLError \(error.code.rawValue)")
        } catch {
            throw .connectionFailed("\(type(of: error))")
        }
    }
}

/// The Prisma APIs never redirect; following one could leak a bearer token to another host.
private final class RedirectRefuser: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
