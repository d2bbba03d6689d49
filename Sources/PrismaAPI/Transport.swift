import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

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
public struct AsyncHTTPClientTransport: HTTPTransport {
    /// Lives as long as the process, so it never needs (or gets) a shutdown.
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5)),
            decompression: .disabled)
        configuration.connectionPool.idleTimeout = .seconds(30)
        // One event loop of the shared group, not the group: given the group, AsyncHTTPClient
        // hands a request to any loop while its pooled connection lives on one of them, so about
        // every other call crossed between the two loop threads (a wake-up each way, counted per
        // thread in /proc). One loop easily carries one process's calls to one host.
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup.next(), configuration: configuration)
    }()

    /// Largest answer body read (Prisma's answers are small JSON documents).
    let maxBodyBytes: Int

    public init(maxBodyBytes: Int = 4 << 20) {
        self.maxBodyBytes = maxBodyBytes
    }

    public func send(_ request: TransportRequest) async throws(TransportFailure) -> TransportResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(Array(body)) }
        let nanoseconds = request.timeout.components.seconds * 1_000_000_000 + request.timeout.components.attoseconds / 1_000_000_000
        do {
            let response = try await AsyncHTTPClientTransport.client.execute(outgoing, timeout: .nanoseconds(nanoseconds))
            let body = try await response.body.collect(upTo: maxBodyBytes)
            var headers: [String: String] = [:]
            for field in response.headers { headers[field.name] = field.value }
            return TransportResponse(status: Int(response.status.code), headers: headers, body: Data(buffer: body))
        } catch let error as HTTPClientError
            where [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error) {
            throw .timedOut
        } catch let error as HTTPClientError {
            throw .connectionFailed(error.shortDescription)
        } catch {
            throw .connectionFailed("\(type(of: error))")
        }
    }
}
