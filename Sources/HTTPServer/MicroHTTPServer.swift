import CMHDShim
import CMicroHTTPD
import Foundation
import Secrets
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Errors starting the server.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// An HTTP/1.1 server on libmicrohttpd that runs each request's handler as a Swift task.
///
/// The MHD polling threads never wait for a handler: the body is buffered in the access handler,
/// the connection is suspended, the handler runs in a `Task` (on the executor the handler names
/// for it, ``HTTPHandler/taskExecutor(for:)``, else Swift's pool), and the connection is resumed
/// when the response is ready. Only an answer the handler can give at once
/// (``HTTPHandler/immediateResponse(to:)``: a probe, or a fast path over a local read) is made on
/// the polling thread itself, saving the hops to a task and back. The transport enforces the limits a production server needs (body,
/// headers, connections, timeouts, a handler deadline) and rejects ambiguous message framing —
/// duplicate `Content-Length`, or `Content-Length` with `Transfer-Encoding` — that the Debian
/// 0.9.75 library would otherwise accept and use to smuggle a second request.
public final class MicroHTTPServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    let handler: any HTTPHandler
    let onAccess: @Sendable (AccessRecord) -> Void

    private struct Running: @unchecked Sendable {
        let daemon: OpaquePointer
        let port: UInt16
    }

    private let running = Mutex<Running?>(nil)
    private let inFlight = Atomic<Int>(0)
    private let draining = Atomic<Bool>(false)
    /// Requests whose connection is suspended while their handler runs, by identity.
    private let suspended = Mutex<[ObjectIdentifier: RequestState]>([:])
    private let sweeper = Mutex<Task<Void, Never>?>(nil)
    /// Live connections, for the receive deadline and the raw-target checks.
    let connections = ConnectionTable()

    /// - Parameters:
    ///   - configuration: Limits and bind address.
    ///   - handler: The application.
    ///   - onAccess: Called once per answered request, on an MHD thread: keep it cheap.
    public init(
        configuration: ServerConfiguration, handler: any HTTPHandler,
        onAccess: @escaping @Sendable (AccessRecord) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.handler = handler
        self.onAccess = onAccess
    }

    deinit {
        if let daemon = running.withLock({ $0 }) { MHD_stop_daemon(daemon.daemon) }
    }

    /// The bound port once started (the real one when configured with port 0).
    public var port: UInt16 { running.withLock { $0?.port ?? 0 } }

    /// Requests accepted and not yet finished.
    public var inFlightCount: Int { inFlight.load(ordering: .relaxed) }

    /// Binds and starts serving. Throws when the address cannot be bound.
    public func start() throws {
        try running.withLock { running in
            guard running == nil else { return }
            raiseFileDescriptorLimit(to: configuration.connectionLimit + 256)
            let me = Unmanaged.passUnretained(self).toOpaque()
            let completed: MHD_RequestCompletedCallback = { cls, _, conCls, _ in
                guard let cls, let conCls, let raw = conCls.pointee else { return }
                let server = Unmanaged<MicroHTTPServer>.fromOpaque(cls).takeUnretainedValue()
                Unmanaged<RequestState>.fromOpaque(raw).release()
                conCls.pointee = nil
                server.inFlight.subtract(1, ordering: .relaxed)
            }
            let notifyConnection: MHD_NotifyConnectionCallback = { cls, connection, socketContext, toe in
                guard let cls, let connection, let socketContext else { return }
                let server = Unmanaged<MicroHTTPServer>.fromOpaque(cls).takeUnretainedValue()
                if toe.rawValue == 0 {  // MHD_CONNECTION_NOTIFY_STARTED (1 is …_CLOSED)
                    let record = ConnectionRecord(connection: connection)
                    server.connections.opened(record)
                    socketContext.pointee = Unmanaged.passRetained(record).toOpaque()
                } else if let raw = socketContext.pointee {
                    let record = Unmanaged<ConnectionRecord>.fromOpaque(raw)
                    server.connections.closed(record.takeUnretainedValue())
                    record.release()
                    socketContext.pointee = nil
                }
            }
            let uriLog: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?) -> UnsafeMutableRawPointer? = { cls, uri, connection in
                guard let cls, let uri, let connection else { return nil }
                let server = Unmanaged<MicroHTTPServer>.fromOpaque(cls).takeUnretainedValue()
                server.requestLine(connection, target: uri)
                return nil
            }
            var options: [MHD_OptionItem] = [
                MHD_OptionItem(option: .CONNECTION_LIMIT, value: max(1, configuration.connectionLimit), ptr_value: nil),
                MHD_OptionItem(option: .CONNECTION_TIMEOUT, value: max(1, configuration.connectionTimeoutSeconds), ptr_value: nil),
                MHD_OptionItem(option: .CONNECTION_MEMORY_LIMIT, value: max(8192, configuration.connectionMemoryLimitBytes), ptr_value: nil),
                MHD_OptionItem(option: .LISTEN_BACKLOG_SIZE, value: 1024, ptr_value: nil),
                MHD_OptionItem(option: .STRICT_FOR_CLIENT, value: 1, ptr_value: nil),
                MHD_OptionItem(option: .NOTIFY_COMPLETED, value: unsafeBitCast(completed, to: Int.self), ptr_value: me),
                MHD_OptionItem(option: .NOTIFY_CONNECTION, value: unsafeBitCast(notifyConnection, to: Int.self), ptr_value: me),
                MHD_OptionItem(option: .URI_LOG_CALLBACK, value: unsafeBitCast(uriLog, to: Int.self), ptr_value: me),
            ]
            if configuration.perAddressConnectionLimit > 0 {
                options.append(MHD_OptionItem(option: .PER_IP_CONNECTION_LIMIT, value: configuration.perAddressConnectionLimit, ptr_value: nil))
            }
            let threads = configuration.threadPoolSize > 0
                ? configuration.threadPoolSize : ProcessInfo.processInfo.activeProcessorCount
            if threads > 1 {
                options.append(MHD_OptionItem(option: .THREAD_POOL_SIZE, value: threads, ptr_value: nil))
            }
            options.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))
            let flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue
                | MHD_ALLOW_SUSPEND_RESUME.rawValue
            var error = [CChar](repeating: 0, count: 256)
            let logger: mhd_shim_log_fn = { cls, message in
                guard let cls, let message else { return }
                let server = Unmanaged<MicroHTTPServer>.fromOpaque(cls).takeUnretainedValue()
                server.configuration.errorLog(String(cString: message))
            }
            let daemon = options.withUnsafeBufferPointer { optionBuffer in
                configuration.host.withCString { host in
                    mhd_shim_start_daemon(
                        flags, configuration.host.isEmpty ? nil : host, configuration.port,
                        accessHandler, me, optionBuffer.baseAddress, logger, me, &error, error.count)
                }
            }
            guard let daemon else {
                throw HTTPServerError(description: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + " (\(configuration.host):\(configuration.port))")
            }
            running = Running(daemon: daemon, port: mhd_shim_bound_port(daemon))
        }
        startDeadlineSweeper()
    }

    /// Stops gracefully: stop accepting, let in-flight requests finish (answering with
    /// `Connection: close`), answer 503 to any still running after the drain timeout, then close.
    public func stop() async {
        guard let current = running.withLock({ $0 }) else { return }
        draining.store(true, ordering: .relaxed)
        let listenFD = MHD_quiesce_daemon(current.daemon)
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: configuration.drainTimeout)
        while inFlight.load(ordering: .relaxed) > 0 && clock.now < giveUp {
            try? await Task.sleep(for: .milliseconds(5))
        }
        // MHD forbids stopping with suspended connections: answer whatever is still running.
        for state in suspended.withLock({ Array($0.values) }) {
            complete(state, with: .response(problem(.shuttingDown, state)))
        }
        let hardStop = clock.now.advanced(by: .seconds(2))
        while !suspended.withLock({ $0.isEmpty }) && clock.now < hardStop {
            try? await Task.sleep(for: .milliseconds(5))
        }
        try? await Task.sleep(for: .milliseconds(20))  // let resumed connections flush their answer
        sweeper.withLock { $0?.cancel(); $0 = nil }
        running.withLock { running in
            guard let daemon = running?.daemon else { return }
            MHD_stop_daemon(daemon)
            running = nil
        }
        if listenFD >= 0 { close(listenFD) }
    }

    // MARK: - Access handler phases

    /// A request line arrived (libmicrohttpd's URI log, before it parses the target): the receive
    /// deadline starts, and the raw target is checked for what decoding would hide or choke on.
    fileprivate func requestLine(_ connection: OpaquePointer, target: UnsafePointer<CChar>) {
        guard let record = connectionRecord(connection) else { return }
        var parameters = 0, nul = false
        var inQuery = false
        var previous: (UInt8, UInt8) = (0, 0)
        var pointer = target
        while pointer.pointee != 0 {
            let byte = UInt8(bitPattern: pointer.pointee)
            if byte == UInt8(ascii: "?") && !inQuery { inQuery = true; parameters = 1 }
            else if inQuery && byte == UInt8(ascii: "&") { parameters += 1 }
            if previous == (UInt8(ascii: "%"), UInt8(ascii: "0")) && byte == UInt8(ascii: "0") { nul = true }
            previous = (previous.1, byte)
            pointer += 1
        }
        if parameters > configuration.maxQueryParameters {
            // libmicrohttpd 0.9.75 runs out of its connection pool parsing that many arguments and
            // then answers nothing while holding the socket: refuse before it tries.
            connections.update(record) { mhd_shim_refuse($0.connection, "HTTP/1.1 414 URI Too Long") }
            onAccess(AccessRecord(requestID: MicroHTTPServer.requestID(from: HTTPHeaders()), method: "-", path: "-",
                                  route: "rejected", status: 414, duration: .zero, responseBytes: 0))
            return
        }
        let now = ContinuousClock.now
        connections.update(record) { record in
            record.receivingSince = now
            record.targetHasNUL = nul
        }
    }

    /// The request is in (or answered before it was): its receive deadline no longer applies.
    private func doneReceiving(_ connection: OpaquePointer) {
        guard let record = connectionRecord(connection) else { return }
        connections.update(record) { $0.receivingSince = nil }
    }

    fileprivate func access(
        _ connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
        uploadData: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
        conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let raw = conCls.pointee else {
            let headers = HTTPHeaders(connectionValues(connection, kind: .HEADER_KIND))
            let state = RequestState(
                connection: connection,
                method: method.map { String(cString: $0) } ?? "GET",
                path: url.map { String(cString: $0) } ?? "/",
                requestID: MicroHTTPServer.requestID(from: headers),
                deadline: ContinuousClock.now.advanced(by: configuration.handlerTimeout))
            state.headers = headers
            conCls.pointee = Unmanaged.passRetained(state).toOpaque()
            inFlight.add(1, ordering: .relaxed)
            if let problem = rejection(for: state) {
                return answer(state, .response(self.problem(problem, state)), route: "rejected", close: true)
            }
            return .YES
        }
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            let size = uploadSize.pointee
            uploadSize.pointee = 0
            if state.answered { return .YES }
            if state.discardedBodyBytes == 0 && state.body.count + size <= configuration.maxBodyBytes, let uploadData {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: size) {
                    state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: size))
                }
            } else {
                // Over the limit: stop buffering, and drop the connection if the client keeps going.
                state.discardedBodyBytes += size
                state.body = []
                if state.discardedBodyBytes > 4 * configuration.maxBodyBytes + 65_536 { return .NO }
            }
            return .YES
        }
        if state.answered { return .YES }
        if state.dispatched {
            let given = state.response.withLock { $0 } ?? .response(problem(.timeout, state))
            return answer(state, given, route: nil, close: draining.load(ordering: .relaxed))
        }
        if state.discardedBodyBytes > 0 {
            let tooLarge = ProblemDetails.bodyTooLarge(limit: configuration.maxBodyBytes)
            return answer(state, .response(problem(tooLarge, state)), route: "rejected", close: true)
        }
        return dispatch(state)
    }

    /// Checks the request head before any body is read.
    private func rejection(for state: RequestState) -> ProblemDetails? {
        let connection = state.connection
        switch mhd_shim_head_anomaly(connection) {
        case MHD_SHIM_HEAD_BAD_NAME:
            return .badFraming("A header name is not a token (whitespace before the colon, spaces or control bytes in it).")
        case MHD_SHIM_HEAD_BAD_VALUE:
            return .badFraming("A header line is malformed: CR, LF or NUL in a value, a bare LF or CR ending a line, or a folded (obs-fold) line.")
        case MHD_SHIM_HEAD_DUPLICATE_HOST:
            return .badFraming("More than one Host header.")
        default:
            break
        }
        if let record = connectionRecord(connection), connections.update(record, { $0.targetHasNUL }) {
            return .badRequest("The request target contains %00.")
        }
        if state.path.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            return .badRequest("The request path contains control characters.")
        }
        let lengths = mhd_shim_count_headers(connection, "Content-Length")
        let encodings = mhd_shim_count_headers(connection, "Transfer-Encoding")
        if lengths > 1 {
            return .badFraming("More than one Content-Length header.")
        }
        if lengths == 1 && encodings > 0 {
            return .badFraming("Content-Length and Transfer-Encoding together.")
        }
        if encodings > 1 || (encodings == 1 && state.headers["Transfer-Encoding"]?.lowercased() != "chunked") {
            return .badFraming("Only a single Transfer-Encoding: chunked is supported.")
        }
        if mhd_shim_header_bytes(connection) > configuration.maxHeaderBytes {
            return .headersTooLarge(limit: configuration.maxHeaderBytes)
        }
        if let length = state.headers["Content-Length"] {
            guard !length.isEmpty, length.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(length) else {
                return .badFraming("Content-Length is not a decimal number.")
            }
            if value > configuration.maxBodyBytes { return .bodyTooLarge(limit: configuration.maxBodyBytes) }
        }
        return nil
    }

    /// Answers at once when the handler can, else suspends the connection and runs the handler.
    private func dispatch(_ state: RequestState) -> MHD_Result {
        state.dispatched = true
        doneReceiving(state.connection)
        var request = HTTPRequest(
            method: state.method, path: state.path,
            query: connectionValues(state.connection, kind: .GET_ARGUMENT_KIND),
            headers: state.headers, body: state.body, requestID: state.requestID, logger: configuration.logger)
        request.remoteAddress = MicroHTTPServer.clientAddress(state.connection)
        state.body = []
        if let response = handler.immediateResponse(to: request) {
            return answer(state, .response(response), route: nil, close: draining.load(ordering: .relaxed))
        }
        // Suspend first, then make the request visible to the deadline sweeper and `stop()`, both
        // under the lock they take: neither may resume a connection that is not suspended yet
        // (undefined behaviour in libmicrohttpd). The task starts only after both.
        suspended.withLock { map in
            MHD_suspend_connection(state.connection)
            map[ObjectIdentifier(state)] = state
        }
        let handler = self.handler
        let errorLog = configuration.errorLog
        let typePrefix = configuration.problemTypePrefix
        Task(executorPreference: handler.taskExecutor(for: request)) {
            let answer: Answer
            do {
                answer = .response(try await handler.handle(request))
            } catch is AbortConnection {
                answer = .abort
            } catch let problem as ProblemDetails {
                answer = .response(problem.response(requestID: request.requestID, typePrefix: typePrefix))
            } catch {
                errorLog("handler error (request \(request.requestID)): \(error)")
                answer = .response(ProblemDetails.internalError.response(requestID: request.requestID, typePrefix: typePrefix))
            }
            self.complete(state, with: answer)
        }
        return .YES
    }

    /// Hands an answer to a suspended request and resumes its connection (first answer wins).
    private func complete(_ state: RequestState, with answer: Answer) {
        guard state.offer(answer) else { return }
        suspended.withLock { map in
            _ = map.removeValue(forKey: ObjectIdentifier(state))
            MHD_resume_connection(state.connection)
        }
    }

    /// A transport problem rendered with the configured `type` prefix.
    private func problem(_ problem: ProblemDetails, _ state: RequestState) -> HTTPResponse {
        problem.response(requestID: state.requestID, typePrefix: configuration.problemTypePrefix)
    }

    private func answer(_ state: RequestState, _ given: Answer, route: String?, close: Bool) -> MHD_Result {
        state.answered = true
        doneReceiving(state.connection)
        guard case .response(let response) = given else {
            // Returning MHD_NO alone leaves the socket open until MHD's next look at it; shutting it
            // down makes the peer see the cut at once, as it would with a crashed server.
            let fd = mhd_shim_connection_fd(state.connection)
            if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
            return .NO
        }
        let route = route ?? response.route ?? "unmatched"
        let mhdResponse = response.body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let mhdResponse else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        for field in response.headers where !field.name.caseInsensitiveEquals("Content-Length") {
            _ = MHD_add_response_header(mhdResponse, field.name, field.value)
        }
        _ = MHD_add_response_header(mhdResponse, "X-Request-Id", state.requestID)
        if close { _ = MHD_add_response_header(mhdResponse, "Connection", "close") }
        let result = MHD_queue_response(state.connection, UInt32(response.status), mhdResponse)
        onAccess(AccessRecord(
            requestID: state.requestID, method: state.method, path: state.path, route: route,
            status: response.status, duration: ContinuousClock.now - state.started,
            responseBytes: response.body.count))
        return result
    }

    // MARK: - Deadlines

    /// Suspended connections never time out inside MHD, so a sweeper answers 503 to any handler
    /// that overran its deadline.
    private func startDeadlineSweeper() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                guard let self else { return }
                let now = ContinuousClock.now
                let slow = self.connections.expireReceiving(before: now - self.configuration.requestReceiveTimeout)
                for _ in 0..<slow {
                    self.onAccess(AccessRecord(
                        requestID: MicroHTTPServer.requestID(from: HTTPHeaders()), method: "-", path: "-", route: "rejected",
                        status: 408, duration: self.configuration.requestReceiveTimeout, responseBytes: 0))
                }
                let overdue = self.suspended.withLock { $0.values.filter { $0.deadline <= now } }
                for state in overdue {
                    self.complete(state, with: .response(self.problem(.timeout, state)))
                }
            }
        }
        sweeper.withLock { $0 = task }
    }

    // MARK: - Helpers

    /// Keeps a caller's `X-Request-Id` when it is short and plain; otherwise makes a new one.
    static func requestID(from headers: HTTPHeaders) -> String {
        if let given = headers["X-Request-Id"], (1...128).contains(given.utf8.count),
           given.utf8.allSatisfy({ isIDByte($0) }) {
            return given
        }
        // 16 random bytes in one `getrandom` call, written as 32 hex digits without intermediate
        // strings: this runs for every request.
        let random = SecureRandom.bytes(16)
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 32) { out in
            for (index, byte) in random.enumerated() {
                out[2 * index] = digits.utf8Start[Int(byte >> 4)]
                out[2 * index + 1] = digits.utf8Start[Int(byte & 0xf)]
            }
            return 32
        }
    }

    private static func isIDByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
            || byte == 0x2d || byte == 0x5f || byte == 0x2e
    }


    static func clientAddress(_ connection: OpaquePointer) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        guard mhd_shim_client_address(connection, &buffer, buffer.count) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func raiseFileDescriptorLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let target = min(limit.rlim_max, rlim_t(max(wanted, Int(limit.rlim_cur))))
        if target > limit.rlim_cur {
            limit.rlim_cur = target
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }
}

/// The C entry point libmicrohttpd calls for every phase of every request.
private let accessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadSize, conCls in
    guard let cls, let connection, let uploadSize, let conCls else { return .NO }
    let server = Unmanaged<MicroHTTPServer>.fromOpaque(cls).takeUnretainedValue()
    return server.access(connection, url: url, method: method, uploadData: uploadData, uploadSize: uploadSize, conCls: conCls)
}
