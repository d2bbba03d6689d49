import Foundation
import Storage
import TestSupport
import Testing

/// `Database.readInline`: reads made at once on the caller's thread, on read-only connections of
/// their own beside the one writer (SQLite files only).
@Suite("Inline reads")
struct InlineReadTests {
    func fileDatabase() async throws -> Database {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("inline.sqlite").path
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let database = try Database(path: path)
        try await database.write { try $0.execute(script: "CREATE TABLE t (v INTEGER PRIMARY KEY) STRICT") }
        return database
    }

    func inlineCount(_ database: Database) throws -> Int? {
        try database.readInline { try $0.queryOne("SELECT COUNT(*) AS n FROM t")?.int("n") } ?? nil
    }

    @Test("every commit is seen by the next inline read, and the change count moves with each write")
    func readsSeeEveryCommit() async throws {
        let database = try await fileDatabase()
        for value in 1...30 {
            let before = try #require(database.changeCount)
            try await database.write { try $0.execute("INSERT INTO t (v) VALUES (?)", [value]) }
            #expect(database.changeCount == before + 1)
            #expect(try inlineCount(database) == value)
        }
    }

    @Test("from two threads at once while the writer commits, every read sees a committed count")
    func concurrentReaders() async throws {
        let database = try await fileDatabase()
        let writes = 200
        let seen = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    var counts: [Int] = []
                    let giveUp = ContinuousClock.now + .seconds(60)
                    while counts.last != writes && ContinuousClock.now < giveUp {
                        if let count = try self.inlineCount(database) { counts.append(count) }
                        await Task.yield()
                    }
                    return counts
                }
            }
            for value in 1...writes {
                try await database.write { try $0.execute("INSERT INTO t (v) VALUES (?)", [value]) }
            }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        for counts in seen {
            #expect(counts.last == writes)
            #expect(counts == counts.sorted(), "a reader saw the count go back")
        }
    }

    @Test("in-memory databases and PostgreSQL have no inline reads: nil, so callers use read()")
    func noInlineOnMemory() async throws {
        let database = try Database(path: ":memory:")
        try await database.write { try $0.execute(script: "CREATE TABLE t (v INTEGER PRIMARY KEY) STRICT") }
        #expect(try inlineCount(database) == nil)
    }

    @Test("the read connections cannot write: the statement fails, and readers and writer go on")
    func readersCannotWrite() async throws {
        let database = try await fileDatabase()
        #expect(throws: SQLiteError.self) {
            _ = try database.readInline { try $0.execute("INSERT INTO t (v) VALUES (?)", [1]) }
        }
        #expect(try inlineCount(database) == 0)
        try await database.write { try $0.execute("INSERT INTO t (v) VALUES (?)", [2]) }
        #expect(try inlineCount(database) == 1)
    }

    @Test("with faults injected, inline reads stand aside until the faults are cleared")
    func faultsPauseInlineReads() async throws {
        let database = try await fileDatabase()
        let before = try #require(database.changeCount)
        await database.injectFaults(1, code: 13)
        #expect(database.changeCount != before, "the injected fault counts as a change")
        #expect(try inlineCount(database) == nil)
        await database.clearFaults()
        #expect(try inlineCount(database) == 0)
    }
}

/// SQLite's `synchronous` around deferred writes: lowered for them, restored before the next
/// synced write begins, and a synced write never commits while it could not be restored.
@Suite("Deferred durability on SQLite")
struct DeferredDurabilityTests {
    func synchronous(_ database: Database) async throws -> Int? {
        try await database.read { try $0.queryOne("PRAGMA synchronous")?[0].int }
    }

    @Test("deferred writes run at NORMAL, the next synced write at FULL again")
    func switches() async throws {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("durability.sqlite").path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let database = try Database(path: path)
        try await database.write { try $0.execute(script: "CREATE TABLE t (v INTEGER) STRICT") }
        #expect(try await synchronous(database) == 2)  // FULL
        try await database.write(durability: .deferred) { try $0.execute("INSERT INTO t (v) VALUES (1)") }
        #expect(try await synchronous(database) == 1)  // NORMAL
        // The switch back is the synced write's first statement: if it fails, the write fails.
        await database.injectFaults(1, code: 10)
        await #expect(throws: SQLiteError.self) {
            try await database.write { try $0.execute("INSERT INTO t (v) VALUES (2)") }
        }
        #expect(try await database.read { try $0.queryOne("SELECT COUNT(*) FROM t")?[0].int } == 1)
        try await database.write { try $0.execute("INSERT INTO t (v) VALUES (3)") }
        #expect(try await synchronous(database) == 2)
    }
}
