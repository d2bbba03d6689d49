import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Calls `body` with `host`:`port` (an IPv4 address such as 127.0.0.2) in the form `bind` and
/// `connect` take: the one place the tests build a `sockaddr_in`.
func withIPv4Address<T>(_ host: String, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr(host)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

/// A loopback port nothing listens on now, for a server a test starts with a fixed port (its URL
/// must be known before it runs). Chosen below the kernel's ephemeral range: a port the kernel
/// hands out for `bind` to port 0 comes from the range outgoing connections also take their local
/// ports from, and one of the many loopback connections of the tests running in parallel took it
/// between this check and the server's bind once in CI ("could not start on port 34185"). The
/// range's start is read from the kernel (the usual 32768 when it cannot be read).
public func freePort() throws -> UInt16 {
    let ephemeralStart = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
        .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { UInt16($0) } } ?? 32_768
    let upper = max(ephemeralStart, 20_001)
    for _ in 0..<100 {
        let candidate = UInt16.random(in: 20_000..<upper)
        if canBind(candidate) { return candidate }
    }
    throw NoFreePort(below: upper)
}

public struct NoFreePort: Error {
    public let below: UInt16
}

/// Whether a socket can bind 127.0.0.1:`port` now (and, released, leaves it free).
private func canBind(_ port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return withIPv4Address("127.0.0.1", port: port) { bind(fd, $0, $1) == 0 }
}
