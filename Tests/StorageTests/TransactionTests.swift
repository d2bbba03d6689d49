import Foundation
import Storage
import TestSupport
import Testing

/// `read` sees one snapshot, `write` takes the write lock up front, and failures — real or
/// injected — never leave a transaction (or half of one) behind.
@Suite("Transactions and injected faults")
struct TransactionTests {
    static let full: Int32 = 13  // SQLITE_FULL
    static let ioError: Int32 = 10  // SQLITE_IOERR
    static let ioErrorFsync: Int32 = 10 | (4 << 8)  // SQLITE_IOERR_FSYNC

    func memoryDatabase() async throws -> Database {
        let database = try Database(path: ":memory:")
        try await database.write { try $0.execute(script: "CREATE TABLE t (v INTEGER PRIMARY KEY) STRICT") }
        return database
    }

    func count(_ database: Database) async throws -> Int? {
        try await database.read { try $0.queryOne("SELECT COUNT(*) AS n FROM t")?.int("n") }
    }

    // MARK: read

    @Test("read runs in a transaction, on an in-memory database too, and ends it")
    func readIsATransaction() async throws {
        let database = try await memoryDatabase()
        let inside = try await database.read { connection in
            _ = try connection.query("SELECT v FROM t")
            _ = try connection.queryOne("SELECT COUNT(*) FROM t")
            return connection.isInTransaction
        }
        #expect(inside)
        #expect(await database.isInTransaction == false)
        #expect(try await count(database) == 0)
    }

    @Test("a read does not see a commit that lands between its statements")
    func readSeesOneSnapshot() async throws {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("snapshot.sqlite").path
        let database = try Database(path: path)
        try await database.write { try $0.execute(script: "CREATE TABLE t (v INTEGER PRIMARY KEY) STRICT") }
        try await database.write { try $0.execute("INSERT INTO t (v) VALUES (1)") }

        let (before, after) = try await database.read { connection in
            let before = try connection.queryOne("SELECT COUNT(*) AS n FROM t")?.int("n")
            // Another connection commits in between (WAL: a writer does not wait for readers).
            let other = try SQLiteConnection(path: path)
            try other.execute("INSERT INTO t (v) VALUES (2)")
            other.close()
            let after = try connection.queryOne("SELECT COUNT(*) AS n FROM t")?.int("n")
            return (before, after)
        }
        #expect(before == 1)
        #expect(after == 1, "the second statement of a read saw a later commit")
        #expect(try await count(database) == 2)
    }

    @Test("write still takes the write lock at BEGIN")
    func writeIsImmediate() async throws {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("immediate.sqlite").path
        let database = try Database(path: path)
        try await database.write { try $0.execute(script: "CREATE TABLE t (v INTEGER PRIMARY KEY) STRICT") }
        let blocked = try await database.write { _ -> Bool in
            // No statement has run yet; a DEFERRED transaction would hold no lock here.
            let other = try SQLiteConnection(path: path)
            defer { other.close() }
            do {
                try other.execute(script: "BEGIN IMMEDIATE")
                try other.execute(script: "ROLLBACK")
                return false
            } catch let error as SQLiteError {
                return error.isBusy
            }
        }
        #expect(blocked)
    }

    @Test("a read whose body throws rolls back and leaves no transaction")
    func readBodyThrows() async throws {
        let database = try await memoryDatabase()
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await database.read { connection -> Int in
                _ = try connection.query("SELECT v FROM t")
                throw Boom()
            }
        }
        #expect(await database.isInTransaction == false)
        #expect(try await count(database) == 0)
    }

    // MARK: Injected faults

    @Test("an injected SQLITE_FULL fails the write, leaves nothing behind, and is used up")
    func injectedFaultAtBegin() async throws {
        let database = try await memoryDatabase()
        await database.injectFaults(1, code: TransactionTests.full)
        let error = await #expect(throws: SQLiteError.self) {
            try await database.write { try $0.execute("INSERT INTO t (v) VALUES (1)") }
        }
        #expect(error?.code == 13)
        #expect(error?.isStorageFull == true)
        #expect(error?.isInjected == true)
        #expect(error?.message.contains("injected") == true)
        #expect(await database.isInTransaction == false)
        #expect(try await count(database) == 0)

        try await database.write { try $0.execute("INSERT INTO t (v) VALUES (2)") }
        #expect(try await count(database) == 1)
    }

    @Test("a fault at COMMIT rolls the transaction back")
    func injectedFaultAtCommit() async throws {
        let database = try await memoryDatabase()
        let error = await #expect(throws: SQLiteError.self) {
            try await database.write { connection in
                try connection.execute("INSERT INTO t (v) VALUES (1)")
                connection.injectFaults(1, code: TransactionTests.ioErrorFsync)
            }
        }
        #expect(error?.sql == "COMMIT")
        #expect(error?.code == TransactionTests.ioErrorFsync)
        #expect(error?.isIOError == true)
        #expect(error?.isStorageFull == false)
        #expect(await database.isInTransaction == false)
        #expect(try await count(database) == 0)
        try await database.write { try $0.execute("INSERT INTO t (v) VALUES (2)") }
        #expect(try await count(database) == 1)
    }

    @Test("when COMMIT and ROLLBACK both fail, the first error is thrown and the next call recovers")
    func injectedFaultAtCommitAndRollback() async throws {
        let database = try await memoryDatabase()
        let error = await #expect(throws: SQLiteError.self) {
            try await database.write { connection in
                try connection.execute("INSERT INTO t (v) VALUES (1)")
                connection.injectFaults(2, code: TransactionTests.full)
            }
        }
        // The caller sees why the transaction failed (COMMIT), not the failed cleanup.
        #expect(error?.sql == "COMMIT")
        #expect(error?.isStorageFull == true)
        // The failed ROLLBACK left the transaction open until the next call; nothing committed.
        #expect(await database.isInTransaction == true)

        try await database.write { try $0.execute("INSERT INTO t (v) VALUES (2)") }
        #expect(await database.isInTransaction == false)
        let values = try await database.read { try $0.query("SELECT v FROM t").map { try $0.int("v") } }
        #expect(values == [2])
    }

    @Test("a fault hits reads too, and the next read works")
    func injectedFaultOnRead() async throws {
        let database = try await memoryDatabase()
        await database.injectFaults(1, code: TransactionTests.ioError)
        await #expect(throws: SQLiteError.self) { try await count(database) }
        #expect(await database.isInTransaction == false)
        #expect(try await count(database) == 0)
    }

    @Test("faults count statements, and clearFaults cancels the rest")
    func faultsCountAndClear() async throws {
        let database = try await memoryDatabase()
        await database.injectFaults(3, code: TransactionTests.full)
        for _ in 0..<3 {
            await #expect(throws: SQLiteError.self) { try await database.write { try $0.execute("INSERT INTO t (v) VALUES (1)") } }
        }
        try await database.write { try $0.execute("INSERT INTO t (v) VALUES (1)") }

        await database.injectFaults(5, code: TransactionTests.full)
        await database.clearFaults()
        try await database.write { try $0.execute("INSERT INTO t (v) VALUES (2)") }
        #expect(try await count(database) == 2)
        #expect(await database.isInTransaction == false)
    }

    @Test("error helpers read the primary code out of extended codes")
    func errorHelpers() {
        #expect(SQLiteError(code: 13, message: "").isStorageFull)
        #expect(SQLiteError(code: TransactionTests.ioErrorFsync, message: "").isIOError)
        #expect(SQLiteError(code: TransactionTests.ioErrorFsync, message: "").primaryCode == 10)
        #expect(SQLiteError(code: 2067, message: "").isConstraintViolation)  // SQLITE_CONSTRAINT_UNIQUE
        #expect(!SQLiteError(code: 2067, message: "").isStorageFull)
        #expect(!SQLiteError(code: 13, message: "").isInjected)
    }
}
