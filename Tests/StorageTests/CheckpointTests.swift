import Foundation
import Storage
import TestSupport
import Testing

/// ``CheckpointPolicy``: the WAL is copied back when the SQLite thread is idle (between a
/// writer's writes too), or in the commit that reaches the ceiling when it never is; nothing
/// written is lost either way.
@Suite("WAL checkpoints")
struct CheckpointTests {
    func fileDatabase(_ policy: CheckpointPolicy, name: String) async throws -> (Database, String) {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("\(name).sqlite").path
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let database = try Database(path: path, options: DatabaseOptions(checkpoints: policy))
        try await database.write { try $0.execute(script: "CREATE TABLE t (v INTEGER PRIMARY KEY, pad TEXT) STRICT") }
        return (database, path)
    }

    func insert(_ value: Int, into database: Database) async throws {
        // A row of ~2 KB, so that every commit adds at least one frame.
        try await database.write { try $0.execute("INSERT INTO t (v, pad) VALUES (?, ?)", [value, String(repeating: "x", count: 2000)]) }
    }

    /// Inserts rows 1, 2, … until the WAL holds `frames`; returns the last row's value.
    func fill(_ database: Database, toFrames frames: Int) async throws -> Int {
        var value = 0
        while try #require(database.walFrames) < frames {
            value += 1
            try await insert(value, into: database)
        }
        return value
    }

    /// Whether the WAL comes back to 0 frames (a complete checkpoint) within 20 s: polled, with a
    /// bound generous for a loaded machine.
    func checkpointed(_ database: Database) async throws -> Bool {
        let giveUp = ContinuousClock.now + .seconds(20)
        while database.walFrames != 0 && ContinuousClock.now < giveUp { try await Task.sleep(for: .milliseconds(5)) }
        return database.walFrames == 0
    }

    /// The closed database at `path`, opened again, has `count` rows: nothing committed was lost.
    func expectRows(_ count: Int, afterReopening path: String) async throws {
        let reopened = try Database(path: path)
        let found = try await reopened.read { try $0.queryOne("SELECT COUNT(*) AS n FROM t")?.int("n") }
        #expect(found == count)
        await reopened.close()
    }

    @Test("a WAL past the idle threshold is checkpointed once writes stop, and reopening finds every row")
    func checkpointWhenQuiet() async throws {
        let (database, path) = try await fileDatabase(
            CheckpointPolicy(idleFrames: 20, idleDelay: .milliseconds(20), ceilingFrames: 1_000_000), name: "quiet")
        let value = try await fill(database, toFrames: 20)
        // Nothing is written from here on: the checkpoint must come (~20 ms when idle).
        #expect(try await checkpointed(database), "the WAL was not checkpointed after writes stopped")
        await database.close()
        try await expectRows(value, afterReopening: path)
    }

    @Test("the checkpoint runs in a writer's waits between its writes, as in a provision's wait for Prisma")
    func checkpointInTheGaps() async throws {
        // Writes 5 ms apart never leave a long quiet, but each gap leaves the SQLite thread idle
        // for longer than the policy's 1 ms: the WAL must come back below its threshold while the
        // writes go on, with the ceiling out of reach.
        let (database, path) = try await fileDatabase(
            CheckpointPolicy(idleFrames: 20, idleDelay: .milliseconds(1), ceilingFrames: 1_000_000), name: "gaps")
        var value = 0, largest = 0, drops = 0, previous = 0
        while drops < 3 && value < 2_000 {
            value += 1
            try await insert(value, into: database)
            try await Task.sleep(for: .milliseconds(5))
            let frames = try #require(database.walFrames)
            largest = max(largest, frames)
            if frames < previous { drops += 1 }
            previous = frames
        }
        #expect(drops >= 3, "the WAL was not checkpointed between writes (\(value) writes, \(largest) frames at most)")
        await database.close()
        try await expectRows(value, afterReopening: path)
    }

    @Test("jobs back to back keep the checkpoint waiting: it runs only once the thread has been idle for the delay")
    func checkpointWaitsForAnIdleThread() async throws {
        let (database, _) = try await fileDatabase(
            CheckpointPolicy(idleFrames: 20, idleDelay: .seconds(1), ceilingFrames: 1_000_000), name: "busy")
        _ = try await fill(database, toFrames: 20)
        let frames = database.walFrames
        // Reads back to back for 1.5 s, longer than the delay: each leaves the thread idle for
        // microseconds only, so the checkpoint must not run among them.
        // The time is taken inside each read, on the SQLite thread: the thread's idle time begins
        // after it, whereas this task may resume long after (on a loaded machine, tens of ms).
        let busyUntil = ContinuousClock.now + .milliseconds(1500)
        var reads = 0, lastJob = ContinuousClock.now
        while lastJob < busyUntil {
            lastJob = try await database.read { _ in ContinuousClock.now }
            reads += 1
        }
        #expect(database.walFrames == frames, "checkpointed between back-to-back reads (\(reads) reads)")
        // Then idle: the checkpoint comes, and not before the delay has passed since the last job.
        #expect(try await checkpointed(database), "the WAL was not checkpointed once the thread was idle")
        #expect(ContinuousClock.now - lastJob >= .seconds(1), "checkpointed before the thread had been idle for the delay")
        await database.close()
    }

    @Test("writes that never pause are checkpointed by the commit that reaches the ceiling: the WAL stays bounded")
    func ceilingWithoutPause() async throws {
        // An idle delay no test run reaches: only the ceiling can checkpoint here.
        let (database, path) = try await fileDatabase(
            CheckpointPolicy(idleFrames: 10, idleDelay: .seconds(3600), ceilingFrames: 60), name: "ceiling")
        var largest = 0, drops = 0, previous = 0
        for value in 1...300 {
            try await insert(value, into: database)
            let frames = try #require(database.walFrames)
            largest = max(largest, frames)
            if frames < previous { drops += 1 }
            previous = frames
        }
        // A commit adds a handful of frames; the one that reaches 60 copies the WAL back, and the
        // next write starts it over.
        #expect(largest < 60 + 10, "the WAL grew past its ceiling (\(largest) frames)")
        #expect(drops >= 3, "the WAL was never started over (\(drops) drops)")
        await database.close()
        try await expectRows(300, afterReopening: path)
    }

    @Test("an in-memory database has no WAL to report")
    func inMemory() async throws {
        let database = try Database(path: ":memory:")
        try await database.write { try $0.execute(script: "CREATE TABLE t (v INTEGER PRIMARY KEY) STRICT") }
        #expect(database.walFrames == nil)
        await database.close()
    }
}
