import CSQLite
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The serial executor of a storage engine (``SQLiteDatabase``, ``PostgresDatabase``): every job
/// of the actor runs on one dedicated thread.
///
/// Why: sqlite3 calls block. Under `synchronous=FULL` every `COMMIT` waits for an `fsync`, a busy
/// database sleeps up to the busy timeout, and a cold page cache means disk reads. Swift's
/// cooperative pool has one thread per core (two on the production machine); an actor with the
/// default executor would park one of them for every such wait, and request handling, timers and
/// the webhook dispatcher would queue behind the disk. With this executor the disk wait parks a
/// thread that has nothing else to do, and awaiting callers just suspend.
///
/// Why a dedicated `Thread` with a locked job queue rather than a serial `DispatchQueue` (as
/// GRDB's `DispatchQueueActor` does):
/// - On Linux, Swift's global executor is itself built on libdispatch's root queues (without this
///   executor, `read` bodies run on threads named `…root.default-qos`), so a serial queue's blocks
///   run on worker threads of the same library, chosen per block and grown by libdispatch's own
///   heuristics. A thread we create is outside that machinery by construction,
///   not by a pool policy we would have to trust.
/// - One stable thread has an identity: ``checkIsolated()`` is a `pthread_equal`, the tests can
///   assert that SQLite never runs on a pool thread, and the thread's name shows up in `top -H`,
///   `gdb` and `perf` when someone asks where the time goes.
/// - The cost is one mostly idle thread per open ``Database``; the service opens one.
///
/// It is a task executor as well (``Database/taskExecutor``): a task that prefers it runs its
/// nonisolated code on the same thread, so its transactions need no hand-off. Each job runs
/// isolated to the actor and with the task executor, as the runtime asks of an executor that is both.
///
/// The thread ends when the executor is released (that is, with its ``Database``), after running
/// whatever was still queued.
final class SQLiteExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    // @unchecked: all mutable state lives in `queue`, behind its lock.

    /// The name of every SQLite thread. Linux caps thread names at 15 bytes, which rules out
    /// "claimgate.sqlite".
    static let threadName = "claimgate.sql"

    private let queue: JobQueue

    /// Starts the thread, named `threadName` (at most 15 bytes on Linux).
    init(threadName: String) {
        let queue = JobQueue(threadName: threadName)
        self.queue = queue
        let thread = Thread { queue.run() }
        // A fixed size rather than the platform's default for secondary threads (512 KiB on
        // Darwin): SQLite recurses on deep expressions and nested triggers.
        thread.stackSize = 4 << 20
        thread.start()
        queue.waitUntilStarted()
    }

    deinit {
        // Nothing can enqueue any more (nobody holds us), so the thread may drain and stop.
        // This may run on the SQLite thread itself, when its last job dropped the last reference:
        // `stop()` only takes the lock, which the run loop never holds while a job runs.
        queue.stop()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        queue.push(UnownedJob(job), keeping: self)
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Runs `work` on this thread once it has had nothing to run for `gap` (see
    /// ``JobQueue/whenIdle(for:_:)``).
    func whenIdle(for gap: Duration, _ work: @escaping @Sendable () -> Void) {
        queue.whenIdle(for: gap, work)
    }

    func checkIsolated() {
        precondition(queue.isCurrentThread, "not on the \(queue.threadName) thread")
    }

    @available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *)
    func isIsolatingCurrentContext() -> Bool? {
        queue.isCurrentThread
    }
}

/// The jobs waiting for the SQLite thread, and the thread's run loop.
private final class JobQueue: @unchecked Sendable {
    // @unchecked: every stored property is read and written with `condition` locked, except
    // `thread`, which is written once before `waitUntilStarted()` returns and only read after.

    private struct Entry {
        let job: UnownedJob
        /// Keeps the executor alive while one of its jobs waits (the runtime holds it unowned).
        let executor: SQLiteExecutor
    }

    private let condition = NSCondition()
    let threadName: String
    /// Waiting jobs from `head` on. Slots before `head` are already taken (nil) and dropped in
    /// batches, so a burst of jobs costs O(1) per job rather than the O(n) of `removeFirst()`.
    /// Taking a slot moves its reference out instead of releasing it: a release under the lock
    /// could be the executor's last, and its `deinit` takes the lock too.
    private var entries: [Entry?] = []
    private var head = 0
    private var stopping = false
    private var started = false
    /// Work for the first moment the thread has been idle for `gap` (see `whenIdle`).
    private var idle: (gap: Duration, work: @Sendable () -> Void)?
    private var thread: pthread_t?

    init(threadName: String) {
        self.threadName = threadName
    }

    var isCurrentThread: Bool {
        guard let thread else { return false }
        return pthread_equal(pthread_self(), thread) != 0
    }

    func waitUntilStarted() {
        condition.lock()
        while !started { condition.wait() }
        condition.unlock()
    }

    func push(_ job: UnownedJob, keeping executor: SQLiteExecutor) {
        condition.lock()
        entries.append(Entry(job: job, executor: executor))
        condition.signal()
        condition.unlock()
    }

    /// Runs `work` on this thread, between jobs, once it has waited `gap` for a job and none came —
    /// replacing work set earlier that has not run yet. It runs once; a stopping queue drops it.
    /// For work that should not delay a job but that an idle thread may as well do now: the
    /// next job, if it comes while `work` runs, waits for it.
    func whenIdle(for gap: Duration, _ work: @escaping @Sendable () -> Void) {
        condition.lock()
        idle = (gap, work)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// The thread's body: runs jobs in arrival order until stopped and drained. Priorities are
    /// not looked at: there is one connection, and reordering its work would not make the disk
    /// any faster.
    func run() {
        // Named from inside, for the kernel: a new thread starts with its creator's name (a pool
        // thread's "…root.default-qos"), and Foundation's `Thread.name` setter on Linux was seen
        // not to reach the kernel under load (the name read back was still the creator's).
        _ = csqlite_name_current_thread(threadName)
        Thread.current.name = threadName
        condition.lock()
        thread = pthread_self()
        started = true
        condition.broadcast()
        condition.unlock()

        while let step = next() {
            // Never run a job with the lock held: the job may enqueue (a task hopping back onto
            // the actor) or release the executor, and both take the lock.
            switch step {
            case .job(let entry):
                entry.job.runSynchronously(isolatedTo: entry.executor.asUnownedSerialExecutor(), taskExecutor: entry.executor.asUnownedTaskExecutor())
            case .idle(let work):
                work()
            }
        }
    }

    private enum Step {
        case job(Entry)
        case idle(@Sendable () -> Void)
    }

    /// The next job, waiting for one, or the idle work once the wait has lasted its gap; nil
    /// once stopped and empty.
    private func next() -> Step? {
        condition.lock()
        defer { condition.unlock() }
        var idleSince: ContinuousClock.Instant?
        while head == entries.count {
            if stopping { return nil }
            if head > 0 { entries.removeAll(keepingCapacity: true); head = 0 }
            guard let (gap, work) = idle else {
                condition.wait()
                continue
            }
            let now = ContinuousClock.now
            let since = idleSince ?? now
            idleSince = since
            if now - since >= gap {
                idle = nil
                return .idle(work)
            }
            // NSCondition waits on the wall clock: a clock step only shortens or stretches this
            // one wait, since the gap itself is measured on the monotonic clock, and a job ends it.
            _ = condition.wait(until: Date(timeIntervalSinceNow: (gap - (now - since)) / .seconds(1)))
        }
        let entry = entries[head].take()
        head += 1
        if head >= 64, head * 2 >= entries.count {
            entries.removeFirst(head)
            head = 0
        }
        return entry.map { .job($0) }
    }
}
