import Foundation

/// Deadlines kept by one thread of their own: when one passes, its action runs on that thread
/// (actions must be short and never block: resuming a continuation).
///
/// Why not a dispatch timer per deadline (as the provisioning wait had): arming one wakes
/// libdispatch's manager thread, and the timer still fires on a pool thread when its time comes,
/// cancelled or not — two thread wake-ups per provision on a 2-core machine (counted per thread in
/// /proc: ~1.2 switches per provision on the manager thread alone). Here a deadline further away
/// than the thread's next wake-up (a heartbeat, a second; the provisioning wait is 20 s) is
/// recorded without waking anybody, and a cancelled one is simply removed: the thread wakes when a
/// deadline is reached, for one nearer than its next wake-up, and once a `heartbeat` meanwhile.
///
/// Used by the provisioning wait and by the Prisma transport's per-call timeout (a NIO timer
/// armed from the caller's thread wakes the event loop once to arm it).
public final class Deadlines: @unchecked Sendable {
    // @unchecked: `entries`, `nextID` and `plannedWake` are only touched with `condition` locked.

    /// A pending deadline, to ``cancel(_:)`` it.
    public struct Token: Sendable {
        fileprivate let at: ContinuousClock.Instant
        fileprivate let id: UInt64
    }

    private struct Entry {
        let token: Token
        let expire: @Sendable () -> Void
    }

    /// The one instance of the process (its thread lives as long as the process).
    public static let shared = Deadlines(threadName: "claimgate.wait", heartbeat: .seconds(1))

    private let condition = NSCondition()
    /// Pending deadlines, earliest first (ties in arrival order).
    private var entries: [Entry] = []
    private var nextID: UInt64 = 0
    /// When the thread wakes next by itself: the earliest deadline, or a heartbeat away if that
    /// is later. Only a deadline before it needs a signal.
    private var plannedWake = ContinuousClock.now
    /// How long the thread sleeps at most. A deadline further away than this is added without
    /// waking the thread: it is seen at the next heartbeat. One wake-up a second, instead of one
    /// per deadline.
    private let heartbeat: Duration

    /// Starts the thread, which holds the instance for the life of the process.
    init(threadName: String, heartbeat: Duration) {
        self.heartbeat = heartbeat
        let thread = Thread { self.run() }
        thread.name = threadName
        thread.start()
    }

    /// Runs `expire` once `delay` has passed, unless cancelled first.
    public func add(after delay: Duration, _ expire: @escaping @Sendable () -> Void) -> Token {
        // Beyond a century means never, in practice; capping keeps the instant arithmetic finite.
        let at = ContinuousClock.now + min(delay, .seconds(3_155_760_000))
        condition.lock()
        defer { condition.unlock() }
        nextID += 1
        let entry = Entry(token: Token(at: at, id: nextID), expire: expire)
        let index = insertionIndex(of: entry.token)
        entries.insert(entry, at: index)
        if at < plannedWake { condition.signal() }
        return entry.token
    }

    /// Drops the deadline if it has not passed yet (its action will not run). Wakes nobody.
    public func cancel(_ token: Token) {
        condition.lock()
        defer { condition.unlock() }
        let index = insertionIndex(of: token) - 1
        if index >= 0, entries[index].token.id == token.id { entries.remove(at: index) }
    }

    /// How many deadlines are pending (for tests).
    var pending: Int {
        condition.lock()
        defer { condition.unlock() }
        return entries.count
    }

    /// Where `token` goes: after every entry at or before it (binary search over (at, id)).
    private func insertionIndex(of token: Token) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            let other = entries[middle].token
            if other.at < token.at || (other.at == token.at && other.id <= token.id) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private func run() {
        condition.lock()
        while true {
            let now = ContinuousClock.now
            guard let first = entries.first, first.token.at <= now else {
                plannedWake = min(entries.first?.token.at ?? now + heartbeat, now + heartbeat)
                let (seconds, attoseconds) = (plannedWake - now).components
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18))
                continue
            }
            var due: [Entry] = []
            while let entry = entries.first, entry.token.at <= now {
                due.append(entries.removeFirst())
            }
            condition.unlock()
            for entry in due { entry.expire() }
            condition.lock()
        }
    }
}
