@testable import Timers
import Foundation
import Synchronization
import Testing

/// ``Deadlines``: the provisioning wait's timer thread.
@Suite("Deadlines")
struct DeadlinesTests {
    /// Records which deadlines fired, in order, and lets a test wait for one of them.
    final class Fired: Sendable {
        private let state = Mutex<(names: [String], waiters: [String: CheckedContinuation<Void, Never>])>(([], [:]))

        func record(_ name: String) {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.names.append(name)
                return state.waiters.removeValue(forKey: name)
            }
            waiter?.resume()
        }

        func wait(for name: String) async {
            await withCheckedContinuation { continuation in
                let already = state.withLock { state -> Bool in
                    if state.names.contains(name) { return true }
                    state.waiters[name] = continuation
                    return false
                }
                if already { continuation.resume() }
            }
        }

        var names: [String] { state.withLock { $0.names } }
    }

    @Test("a deadline fires once its delay has passed, not before; deadlines fire in their order, whatever the order they came in")
    func firesInOrder() async {
        let deadlines = Deadlines(threadName: "test.wait", heartbeat: .seconds(1))
        let fired = Fired()
        let start = ContinuousClock.now
        _ = deadlines.add(after: .milliseconds(300)) { fired.record("third") }
        _ = deadlines.add(after: .milliseconds(100)) { fired.record("first") }
        _ = deadlines.add(after: .milliseconds(200)) { fired.record("second") }
        await fired.wait(for: "third")
        #expect(ContinuousClock.now - start >= .milliseconds(300))
        #expect(fired.names == ["first", "second", "third"])
        #expect(deadlines.pending == 0)
    }

    @Test("a deadline beyond the next heartbeat fires on time too (seen at a heartbeat, then slept towards)")
    func beyondTheHeartbeat() async {
        let deadlines = Deadlines(threadName: "test.wait", heartbeat: .milliseconds(100))
        let fired = Fired()
        let start = ContinuousClock.now
        _ = deadlines.add(after: .milliseconds(350)) { fired.record("later") }
        await fired.wait(for: "later")
        #expect(ContinuousClock.now - start >= .milliseconds(350))
        #expect(deadlines.pending == 0)
    }

    @Test("a cancelled deadline never fires: a later one (the sentinel) fires alone")
    func cancelled() async {
        let deadlines = Deadlines(threadName: "test.wait", heartbeat: .seconds(1))
        let fired = Fired()
        let cancelled = deadlines.add(after: .milliseconds(50)) { fired.record("cancelled") }
        _ = deadlines.add(after: .milliseconds(150)) { fired.record("sentinel") }
        deadlines.cancel(cancelled)
        #expect(deadlines.pending == 1)
        await fired.wait(for: "sentinel")
        #expect(fired.names == ["sentinel"])
    }

    @Test("an earlier deadline that comes while the thread sleeps towards a later one still fires on time")
    func earlierWakesTheThread() async {
        // A heartbeat longer than the test: only the signal for the earlier deadline can wake it.
        let deadlines = Deadlines(threadName: "test.wait", heartbeat: .seconds(600))
        let fired = Fired()
        let late = deadlines.add(after: .seconds(600)) { fired.record("late") }
        // Let the thread settle into its long sleep first (it has nothing else to wait for).
        try? await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        _ = deadlines.add(after: .milliseconds(50)) { fired.record("early") }
        await fired.wait(for: "early")
        // Well below the 600 s the thread was sleeping towards, even on a loaded machine.
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(fired.names == ["early"])
        deadlines.cancel(late)
        #expect(deadlines.pending == 0)
    }
}
