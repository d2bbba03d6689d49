@testable import Claimgate
import Foundation
import Logging
import Synchronization
import Testing

/// `ProvisioningService.value(within:…)`: a request waits for its provisioning run at most the
/// policy's wait; the run goes on either way, and a failure nobody waits for any more is logged.
@Suite("Provisioning wait")
struct ProvisioningWaitTests {
    struct Refused: Error {}

    /// Lets a test hold a run until it says so.
    final class Gate: Sendable {
        private let waiting = Mutex<CheckedContinuation<Void, Never>?>(nil)
        private let opened = Mutex(false)
        func wait() async {
            await withCheckedContinuation { continuation in
                let open = opened.withLock { $0 }
                if open { continuation.resume() } else { waiting.withLock { $0 = continuation } }
            }
        }
        func open() {
            opened.withLock { $0 = true }
            waiting.withLock { $0.take() }?.resume()
        }
    }

    func logger(_ sink: LogSink) -> Logger {
        let handler = JSONLogHandler(label: "claimgate", level: .info, sink: sink)
        return Logger(label: "claimgate") { _ in handler }
    }

    @Test("a run that finishes within the wait is the answer, and its failure is the caller's error")
    func answered() async throws {
        let sink = LogSink.memory()
        let value = try await ProvisioningService.value(within: .seconds(60), logger: logger(sink), databaseID: "cgdb_a") { 42 }
        #expect(value == 42)
        await #expect(throws: Refused.self) {
            _ = try await ProvisioningService.value(within: .seconds(60), logger: logger(sink), databaseID: "cgdb_b") { () throws -> Int in
                throw Refused()
            }
        }
        #expect(sink.lines.isEmpty, "an error the caller got is not logged again here")
    }

    @Test("when the wait runs out the caller gets nil, the run goes on, and its late failure is logged")
    func gaveUp() async throws {
        let sink = LogSink.memory()
        let gate = Gate()
        let finished = Mutex(false)
        let value = try await ProvisioningService.value(within: .milliseconds(50), logger: logger(sink), databaseID: "cgdb_late") { () throws -> Int in
            await gate.wait()
            finished.withLock { $0 = true }
            throw Refused()
        }
        #expect(value == nil)
        #expect(!finished.withLock { $0 })
        gate.open()
        try await eventually("the late failure is logged") {
            sink.lines.contains { $0.contains("provisioning run failed after the request was answered") }
        }
        #expect(finished.withLock { $0 })
        let line = try #require(sink.lines.first { $0.contains("provisioning run failed after the request was answered") })
        #expect(line.contains("cgdb_late"))
    }

    @Test("respond-async: nil at once, the run still happens")
    func respondAsync() async throws {
        let ran = Mutex(false)
        let value = try await ProvisioningService.value(within: .zero, logger: logger(LogSink.memory()), databaseID: "cgdb_async") { () -> Int in
            ran.withLock { $0 = true }
            return 1
        }
        #expect(value == nil)
        try await eventually("the run happens") { ran.withLock { $0 } }
        #expect(ran.withLock { $0 })
    }
}
