import CMicroHTTPD
import Synchronization

/// The per-request object libmicrohttpd carries in `*con_cls` between calls of the access handler.
///
/// Fields other than `response` are touched only by the MHD thread that owns the connection
/// (MHD never calls one connection's handler from two threads at once); the response slot is
/// written by the handler task and read back after resume, so it sits behind a mutex. That is
/// why the class is `@unchecked Sendable`.
final class RequestState: @unchecked Sendable {
    let connection: OpaquePointer
    let method: String
    let path: String
    let requestID: String
    let started: ContinuousClock.Instant
    var headers = HTTPHeaders()
    var body: [UInt8] = []
    var discardedBodyBytes = 0
    /// The handler was started (the connection is, or was, suspended).
    var dispatched = false
    /// A response was queued; nothing more to do for this request.
    var answered = false
    let deadline: ContinuousClock.Instant
    /// The handler's answer; the first writer wins (handler, deadline sweeper or shutdown).
    let response = Mutex<Answer?>(nil)

    init(connection: OpaquePointer, method: String, path: String, requestID: String, deadline: ContinuousClock.Instant) {
        self.connection = connection
        self.method = method
        self.path = path
        self.requestID = requestID
        self.started = .now
        self.deadline = deadline
    }

    /// Stores the response if none is stored yet; returns whether this call stored it.
    func offer(_ candidate: Answer) -> Bool {
        response.withLock { slot in
            guard slot == nil else { return false }
            slot = candidate
            return true
        }
    }
}

/// What a handler produced: a response, or the wish to cut the connection (``AbortConnection``).
enum Answer: Sendable {
    case response(HTTPResponse)
    case abort
}

/// A box that C iterators can append key/value pairs to through an opaque pointer.
final class PairCollector {
    var pairs: [(name: String, value: String)] = []
}

/// Reads every key/value of one kind (headers, query arguments) from a connection.
func connectionValues(_ connection: OpaquePointer, kind: MHD_ValueKind) -> [(name: String, value: String)] {
    let collector = PairCollector()
    let pointer = Unmanaged.passUnretained(collector).toOpaque()
    _ = MHD_get_connection_values(connection, kind, { cls, _, key, value in
        guard let cls, let key else { return .YES }
        let collector = Unmanaged<PairCollector>.fromOpaque(cls).takeUnretainedValue()
        collector.pairs.append((name: String(cString: key), value: value.map { String(cString: $0) } ?? ""))
        return .YES
    }, pointer)
    return withExtendedLifetime(collector) { collector.pairs }
}
