import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One plain TCP connection a test drives byte by byte: a slow client trickling its head, or one of
/// many sockets held open. It can connect *from* a chosen loopback address (127.0.0.2 …), so a test
/// can play two clients that per-address limits tell apart. Blocking calls: use it off the
/// cooperative pool (``RawSocket/onThread(_:)``).
public final class RawSocket: @unchecked Sendable {
    public let fd: Int32

    /// Connects to 127.0.0.1:`port` from `source` (any loopback address), or throws.
    public init(port: UInt16, source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        let bound = withIPv4Address(source, port: 0) { bind(fd, $0, $1) }
        let connected = withIPv4Address("127.0.0.1", port: port) { connect(fd, $0, $1) }
        guard bound == 0, connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { close(fd) }

    /// Sends all of `text`; false once the peer has closed.
    @discardableResult
    public func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// What arrives within `timeout` seconds, and whether the peer closed the connection.
    public func read(timeout: Double) -> (text: String, closed: Bool) {
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received += buffer[0..<n]; continue }
            let closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
            return (String(decoding: received, as: UTF8.self), closed)
        }
    }

    /// Runs blocking socket work on a thread of its own, not on Swift's cooperative pool.
    public static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
