import CMHDShim
import CMicroHTTPD
import Synchronization

/// What the server keeps per TCP connection, for the limits libmicrohttpd 0.9.75 does not enforce
/// itself. Every field is read and written under ``ConnectionTable``'s lock only.
final class ConnectionRecord: @unchecked Sendable {
    let connection: OpaquePointer
    /// Set when a request line arrives, cleared once the whole request (head and body) is in: a
    /// request still receiving after the deadline is a slow client holding a connection.
    var receivingSince: ContinuousClock.Instant?
    /// The raw request target had `%00`: libmicrohttpd decodes it to a NUL and the path would be cut
    /// there (`/metrics%00` served as `/metrics`), so the request is refused instead.
    var targetHasNUL = false

    init(connection: OpaquePointer) { self.connection = connection }
}

/// Live connections, by identity, with the receive deadline sweep.
///
/// Records are added at `MHD_CONNECTION_NOTIFY_STARTED` and removed at `…_CLOSED`, under the same
/// lock the sweep holds while it shuts a socket down: a socket is never touched after libmicrohttpd
/// was told it is closed, so a reused descriptor can never be hit.
final class ConnectionTable: Sendable {
    private let records = Mutex<[ObjectIdentifier: ConnectionRecord]>([:])

    func opened(_ record: ConnectionRecord) {
        records.withLock { $0[ObjectIdentifier(record)] = record }
    }

    func closed(_ record: ConnectionRecord) {
        records.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(record)) }
    }

    /// Runs `body` on a record under the lock.
    func update<T>(_ record: ConnectionRecord, _ body: (ConnectionRecord) -> T) -> T {
        records.withLock { _ in body(record) }
    }

    /// Answers `408` and closes every connection whose request has been receiving since before
    /// `cutoff`; returns how many.
    func expireReceiving(before cutoff: ContinuousClock.Instant) -> Int {
        records.withLock { records in
            var expired = 0
            for record in records.values {
                guard let since = record.receivingSince, since < cutoff else { continue }
                record.receivingSince = nil
                mhd_shim_refuse(record.connection, "HTTP/1.1 408 Request Timeout")
                expired += 1
            }
            return expired
        }
    }

    var count: Int { records.withLock { $0.count } }
}

/// The record libmicrohttpd keeps for us as the connection's socket context.
func connectionRecord(_ connection: OpaquePointer) -> ConnectionRecord? {
    mhd_shim_socket_context(connection).map { Unmanaged<ConnectionRecord>.fromOpaque($0).takeUnretainedValue() }
}
