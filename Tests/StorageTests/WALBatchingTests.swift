import Foundation
import Storage
import TestSupport
import Testing

/// The VFS that batches WAL writes (`Sources/CSQLiteWAL/wal_batch.c`), on real files.
@Suite("WAL writes are batched")
struct WALBatchingTests {
    /// The blob of row `row` of commit `round` (each distinct, to check what was read back).
    private func body(round: Int, row: Int) -> [UInt8] {
        [UInt8](repeating: UInt8(truncatingIfNeeded: round &+ row), count: 1500)
    }

    /// Reopens `path` on the plain VFS: the file passes `quick_check`, holds `rows` rows, and the
    /// last row of commit `round` (row `row`) reads back as written.
    private func expectIntact(_ path: String, rows: Int, last round: Int, row: Int) throws {
        let reopened = try SQLiteConnection(path: path)
        #expect(try reopened.queryOne("PRAGMA quick_check")?[0].string == "ok")
        #expect(try reopened.queryOne("SELECT count(*) FROM notes")?[0].int == rows)
        let last = try reopened.queryOne("SELECT body FROM notes WHERE tag = ?", ["r\(round)-\(row)"])
        #expect(last?[0].bytes == body(round: round, row: row))
        reopened.close()
    }

    /// A writer in WAL mode with `synchronous`, a table with an index, and a reader on the
    /// default VFS.
    private func open(_ path: String, synchronous: String, batch: Bool = true) throws -> SQLiteConnection {
        let writer = try SQLiteConnection(path: path, batchWALWrites: batch)
        _ = try writer.queryOne("PRAGMA journal_mode=WAL")
        try writer.execute(script: """
            PRAGMA synchronous=\(synchronous);
            CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body BLOB NOT NULL, tag TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS notes_tag ON notes (tag);
            """)
        return writer
    }

    /// One transaction of `rows` rows of 1.5 KB (a page each, plus index pages).
    private func commit(_ writer: SQLiteConnection, rows: Int, round: Int) throws {
        try writer.execute(script: "BEGIN IMMEDIATE")
        for row in 0..<rows {
            _ = try writer.execute("INSERT INTO notes (body, tag) VALUES (?, ?)", [body(round: round, row: row), "r\(round)-\(row)"])
        }
        try writer.execute(script: "COMMIT")
    }

    @Test("a commit of many pages reaches the WAL in one write, synced or not", arguments: ["FULL", "NORMAL"])
    func oneWritePerCommit(synchronous: String) throws {
        let dir = TestPaths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try open(dir + "/batch.sqlite", synchronous: synchronous)
        try commit(writer, rows: 1, round: 0)  // the WAL exists from here on
        let before = try #require(writer.walWriteCounts, "the WAL was not opened through the batching VFS")
        for round in 1...10 { try commit(writer, rows: 8, round: round) }
        let after = try #require(writer.walWriteCounts)
        let requested = after.requested - before.requested, written = after.written - before.written
        // 8 table pages plus index pages per commit, two writes per frame without the VFS.
        #expect(requested >= 10 * 8 * 2, "SQLite asked for \(requested) writes")
        #expect(written <= 10, "\(written) writes reached the file for 10 commits")
        writer.close()
    }

    @Test("a commit larger than one write (over 128 KiB of frames) is written whole, in 64 KiB writes")
    func largeCommit() throws {
        let dir = TestPaths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/large.sqlite"
        let writer = try open(path, synchronous: "FULL")
        try commit(writer, rows: 1, round: 0)
        let before = try #require(writer.walWriteCounts)
        // Two rows a page plus the index: ~110 frames, ~450 KB, far past the unix VFS's largest
        // write of 128 KiB (which it would cut short and report as SQLITE_FULL).
        try commit(writer, rows: 200, round: 1)
        try commit(writer, rows: 31, round: 2)  // ~128 KiB of frames
        let after = try #require(writer.walWriteCounts)
        // ~0.58 MB in writes of at most 64 KiB: 9 here; fewer would mean larger writes.
        #expect(after.written - before.written >= 8, "\(after.written - before.written) writes")
        #expect(after.written - before.written <= 30)
        writer.close()
        try expectIntact(path, rows: 232, last: 1, row: 199)
    }

    @Test("another connection sees every commit at once, and all of it survives a reopen")
    func visibleAndDurable() throws {
        let dir = TestPaths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/visible.sqlite"
        // NORMAL: no sync at commit, so only the commit frame's write puts the frames in the file
        // before SQLite publishes them to readers.
        let writer = try open(path, synchronous: "NORMAL")
        let reader = try SQLiteConnection(path: path, readOnly: true)
        for round in 1...20 {
            try commit(writer, rows: 5, round: round)
            let seen = try reader.queryOne("SELECT count(*) AS n, sum(length(body)) AS bytes FROM notes")
            #expect(seen?[0].int == round * 5)
            #expect(seen?[1].int == round * 5 * 1500)
            let last = try reader.queryOne("SELECT body FROM notes WHERE tag = ?", ["r\(round)-4"])
            #expect(last?[0].bytes == body(round: round, row: 4))
        }
        reader.close()
        writer.close()
        try expectIntact(path, rows: 100, last: 20, row: 4)
    }

    @Test("without the VFS there are no counts (the switch really switches)")
    func switchedOff() throws {
        let dir = TestPaths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try open(dir + "/plain.sqlite", synchronous: "FULL", batch: false)
        try commit(writer, rows: 3, round: 1)
        #expect(writer.walWriteCounts == nil)
        #expect(try writer.queryOne("SELECT count(*) FROM notes")?[0].int == 3)
        writer.close()
    }
}
