import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes log lines to a file descriptor from one thread of its own, in batches, so a request never
/// waits for `write(2)` to stderr (a pipe to a log collector can be slow, or full).
///
/// Requests hand their line over under a short lock and go on; the writer takes what gathered
/// every couple of milliseconds, so under load one `write(2)` carries many lines. The buffer is bounded
/// (`capacityBytes`): when the collector cannot keep up, new lines are **dropped and counted**
/// (`claimgate_log_lines_dropped_total`) rather than stalling every request behind the log — a
/// service that stops answering because its logs are slow helps no one, and the count says what
/// was lost. Lines at `error` or above are the exception: the caller waits until they (and every
/// line before them, in order) are written, so the reason for a failure survives a crash that
/// follows it. ``flush()`` does the same at shutdown. A SIGKILL loses at most what was queued in
/// the last moments.
public final class LogWriter: Sendable {
    private struct State {
        var pending: [UInt8] = []
        /// Bytes handed to `write(2)` so far, and bytes accepted so far: a flush waits until the
        /// first reaches the second.
        var written = 0
        var accepted = 0
        var dropped = 0
        var stopping = false
        var stopped = false
        /// The writer found nothing to write and sleeps until a line comes (it must be woken);
        /// otherwise it is writing or pausing between batches and will look again by itself.
        var idle = false
    }

    /// The writer's pause between batches: how late an ordinary line may reach the descriptor.
    static let batchPauseMilliseconds = 2

    private let descriptor: Int32
    private let capacityBytes: Int
    private let state = Mutex(State())
    private let wake = LogWriterSignal()
    private let done = LogWriterSignal()

    /// - Parameters:
    ///   - descriptor: Where lines go (2: stderr).
    ///   - capacityBytes: Most bytes waiting to be written before new lines are dropped.
    public init(descriptor: Int32, capacityBytes: Int = 8 << 20) {
        self.descriptor = descriptor
        self.capacityBytes = capacityBytes
        WriterThread(writer: self).start()
    }

    /// Lines dropped because the buffer was full.
    public var droppedLines: Int { state.withLock { $0.dropped } }

    /// Queues one line (with its newline); waits for it to be written when `durable`.
    public func write(_ line: [UInt8], durable: Bool = false) {
        let (target, wake): (Int?, Bool) = state.withLock { state in
            guard state.pending.count + line.count <= capacityBytes else {
                state.dropped += 1
                return (nil, false)
            }
            state.pending += line
            state.accepted += line.count
            // Wake the writer only when it sleeps, or the line must not wait, or the buffer fills
            // up: a wake-up per line (a futex call, a context switch) cost more than the line.
            let wake = state.idle || durable || state.pending.count >= capacityBytes / 4
            state.idle = false
            return (state.accepted, wake)
        }
        if wake { self.wake.signal() }
        if durable, let target { waitUntilWritten(target) }
    }

    /// Writes what is queued, then ends the writer thread; nothing is written afterwards. Call it
    /// before closing the descriptor: a writer left running would write into whatever file later
    /// reuses the descriptor's number.
    public func stop() {
        state.withLock { $0.stopping = true }
        wake.signal()
        while !state.withLock({ $0.stopped }) { done.wait(milliseconds: 5) }
    }

    /// Waits until every line queued so far is written.
    public func flush() {
        let target = state.withLock { $0.accepted }
        wake.signal()
        waitUntilWritten(target)
    }

    private func waitUntilWritten(_ target: Int) {
        while state.withLock({ $0.written < target }) {
            done.wait(milliseconds: 5)
        }
    }

    /// The writer thread's loop: take everything pending, write it in one go, repeat.
    fileprivate func run() {
        // A log collector that goes away must cost lines, not the process: with SIGPIPE blocked on
        // this thread, a write to a pipe nobody reads fails with EPIPE instead of killing us.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        var batch: [UInt8] = []
        batch.reserveCapacity(64 << 10)
        while true {
            let (count, stopping) = state.withLock { state -> (Int, Bool) in
                swap(&batch, &state.pending)
                state.idle = batch.isEmpty && !state.stopping
                return (batch.count, state.stopping)
            }
            if count == 0 {
                if stopping {
                    state.withLock { $0.stopped = true }
                    done.broadcast()
                    return
                }
                wake.wait(milliseconds: 100)
                continue
            }
            batch.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if n > 0 { offset += n; continue }
                    if n < 0 && errno == EINTR { continue }
                    break  // the descriptor is gone or broken: nothing sensible to do but move on
                }
            }
            state.withLock { $0.written += count }
            done.broadcast()
            batch.removeAll(keepingCapacity: true)
            // Let the next lines gather for a moment (one write for many lines under load); a
            // flush, an `error` line or a filling buffer cuts the pause short.
            wake.wait(milliseconds: Self.batchPauseMilliseconds)
        }
    }
}

/// The writer's own thread (a pthread, not a task: it blocks in `write(2)` by design).
private final class WriterThread: @unchecked Sendable {
    let writer: LogWriter
    init(writer: LogWriter) { self.writer = writer }

    func start() {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let me = Unmanaged<WriterThread>.fromOpaque(raw!).takeRetainedValue()
            me.writer.run()
            return nil
        }, box)
        if rc == 0 { pthread_detach(thread) } else { Unmanaged<WriterThread>.fromOpaque(box).release() }
    }
}

/// A wake-up signal with a timeout: a condition variable and a flag.
private final class LogWriterSignal: @unchecked Sendable {
    // @unchecked: the flag is only touched with the mutex held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var raised = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    func signal() {
        pthread_mutex_lock(mutex)
        raised = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    func broadcast() {
        pthread_mutex_lock(mutex)
        raised = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    func wait(milliseconds: Int) {
        pthread_mutex_lock(mutex)
        if !raised {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            var deadline = timespec(tv_sec: now.tv_sec, tv_nsec: now.tv_nsec + milliseconds * 1_000_000)
            if deadline.tv_nsec >= 1_000_000_000 { deadline.tv_sec += 1; deadline.tv_nsec -= 1_000_000_000 }
            _ = pthread_cond_timedwait(condition, mutex, &deadline)
        }
        raised = false
        pthread_mutex_unlock(mutex)
    }
}
