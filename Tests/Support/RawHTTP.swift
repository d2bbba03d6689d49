import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP client for tests that must send bytes no HTTP library would send (duplicate
/// `Content-Length`, pipelined smuggling attempts, oversized heads) and observe exactly what comes
/// back, including whether the server closed the connection.
public struct RawHTTP {
    public struct Result: Sendable {
        /// Everything received until the server closed the connection or the timeout passed.
        public let text: String
        /// Whether the server closed the connection (as opposed to the read timing out).
        public let closedByServer: Bool

        /// Status codes of every response in the received bytes, in order.
        public var statuses: [Int] {
            // Status lines can follow a body without a line break, so scan the whole text.
            text.matches(of: try! Regex("HTTP/1\\.[01] ([0-9]{3}) ")).compactMap { match in
                match.output[1].substring.flatMap { Int($0) }
            }
        }
    }

    /// Connects to 127.0.0.1:port, writes `bytes`, then reads until close or `timeout`.
    ///
    /// The blocking socket work runs on its own thread: blocking a cooperative-pool thread (two on
    /// this machine) would starve the very server handlers the test is waiting for.
    public static func exchange(port: UInt16, bytes: [UInt8], timeout: Double = 5.0) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result { try blockingExchange(port: port, bytes: bytes, timeout: timeout) })
            }
        }
    }

    static func blockingExchange(port: UInt16, bytes: [UInt8], timeout: Double) throws -> Result {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        let connected = withIPv4Address("127.0.0.1", port: port) { connect(fd, $0, $1) }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var closed = false
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                received.append(contentsOf: buffer[0..<n])
            } else {
                closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
                break
            }
        }
        return Result(text: String(decoding: received, as: UTF8.self), closedByServer: closed)
    }

    public static func exchange(port: UInt16, _ text: String, timeout: Double = 5.0) async throws -> Result {
        try await exchange(port: port, bytes: Array(text.utf8), timeout: timeout)
    }
}

/// A small URLSession-based client for ordinary requests.
public struct TestClient: Sendable {
    public let baseURL: String

    public init(port: UInt16) { self.baseURL = "http://127.0.0.1:\(port)" }
    public init(baseURL: String) { self.baseURL = baseURL }

    public struct Reply: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
        public func json() throws -> [String: Any] {
            (try JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
        }
    }

    /// One session for all tests: URLSession on Linux is sturdier when never invalidated.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        return URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }()

    public func send(
        _ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await TestClient.session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    public func get(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try await send("GET", path, headers: headers)
    }
}

/// Keeps redirects visible to tests instead of following them.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

/// Paths of the package checkout and the built executables.
public enum TestPaths {
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The `claimgate` executable built next to the test bundle.
    public static var claimgateBinary: String {
        if let explicit = ProcessInfo.processInfo.environment["CLAIMGATE_BINARY"] { return explicit }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("claimgate").path,
            packageRoot.appendingPathComponent(".build/debug/claimgate").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("claimgate-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
