import Foundation
import Storage
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `Database` runs its sqlite3 calls on a thread of its own, never on Swift's cooperative pool.
@Suite("SQLite runs on its own thread")
struct DatabaseExecutorTests {
    /// The calling thread's identity and name, taken where the closure runs.
    struct ThreadInfo: Sendable {
        let id: UInt
        let name: String?
        let isMain: Bool

        static var current: ThreadInfo {
            ThreadInfo(id: pthreadID(), name: Thread.current.name, isMain: Thread.isMainThread)
        }

        private static func pthreadID() -> UInt {
            #if canImport(Glibc)
            return UInt(pthread_self())
            #else
            return UInt(bitPattern: pthread_self())
            #endif
        }
    }

    /// How many blocking calls started and finished.
    final class Progress: Sendable {
        private let state = Mutex<(started: Int, finished: Int)>((0, 0))
        func start() { state.withLock { $0.started += 1 } }
        func finish() { state.withLock { $0.finished += 1 } }
        var started: Int { state.withLock { $0.started } }
        var finished: Int { state.withLock { $0.finished } }
    }

    @Test("reads and writes run on the named SQLite thread, the same one each time")
    func readsAndWritesRunOnTheSQLiteThread() async throws {
        let database = try Database(path: ":memory:")
        let outside = ThreadInfo.current
        let first = try await database.read { _ in ThreadInfo.current }
        let second = try await database.write { _ in ThreadInfo.current }
        let third = try await database.read { _ in ThreadInfo.current }

        // Without the custom executor these closures run on a cooperative-pool thread, which is
        // not named "claimgate.sql" and is not the same thread every time.
        #expect(first.name == Database.threadName)
        #expect(first.name == "claimgate.sql")
        #expect(!first.isMain)
        #expect(first.id == second.id)
        #expect(first.id == third.id)
        #expect(first.id != outside.id)
        #expect(outside.name != Database.threadName)
    }

    @Test("each database has its own thread")
    func oneThreadPerDatabase() async throws {
        let a = try Database(path: ":memory:")
        let b = try Database(path: ":memory:")
        let onA = try await a.read { _ in ThreadInfo.current }
        let onB = try await b.read { _ in ThreadInfo.current }
        #expect(onA.name == Database.threadName)
        #expect(onB.name == Database.threadName)
        #expect(onA.id != onB.id)
    }

    @Test("blocking SQLite calls leave the cooperative pool free", .timeLimit(.minutes(1)))
    func blockingCallsDoNotStarveThePool() async throws {
        // One blocked database per pool thread: with the default executor each blocked call would
        // hold a pool thread (the pool is as wide as the machine has cores), and nothing else
        // could run until one returned. That is what a burst of fsyncs would do in production.
        let width = max(2, ProcessInfo.processInfo.activeProcessorCount)
        let databases = try (0..<width).map { _ in try Database(path: ":memory:") }
        let progress = Progress()

        await withTaskGroup(of: Void.self) { group in
            for database in databases {
                group.addTask {
                    _ = try? await database.read { _ in
                        progress.start()
                        Thread.sleep(forTimeInterval: 1.5)
                        progress.finish()
                    }
                }
            }
            // Wait (suspended, not blocking) until every database is inside its blocking call.
            while progress.started < width {
                try? await Task.sleep(for: .milliseconds(5))
            }
            // A task that needs a pool thread runs while all of them are still blocked; on the
            // pool, it could only run after one of them returned.
            let start = ContinuousClock.now
            await Task.detached { }.value
            #expect(progress.finished == 0, "a pool task waited \(ContinuousClock.now - start) behind blocking SQLite calls")
            await group.waitForAll()
        }
    }
}

extension DatabaseExecutorTests {
    @Test("a task preferring the SQLite thread runs its own code there, and its transactions on the same thread")
    func taskExecutorPreference() async throws {
        let database = try Database(path: ":memory:")
        let executor = try #require(database.taskExecutor)
        try await database.write { _ = try $0.execute("CREATE TABLE t (v INTEGER)") }
        let outside = ThreadInfo.current
        let seen = try await Task(executorPreference: executor) { () async throws -> [ThreadInfo] in
            let before = ThreadInfo.current
            let inside = try await database.write { db in
                _ = try db.execute("INSERT INTO t VALUES (1)")
                return ThreadInfo.current
            }
            let read = try await database.read { _ in ThreadInfo.current }
            return [before, inside, read, ThreadInfo.current]
        }.value
        // Without the preference, `before` and the last entry are pool threads (see the first test).
        for info in seen {
            #expect(info.name == Database.threadName)
            #expect(info.id == seen[0].id)
        }
        #expect(seen[0].id != outside.id)
        #expect(try await database.read { try $0.queryOne("SELECT COUNT(*) AS n FROM t")?.int("n") } == 1)
    }
}
