import Foundation
import Storage
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real full disk: a tiny tmpfs, filled until SQLite answers `SQLITE_FULL`.
///
/// Needs root (or CAP_SYS_ADMIN) on Linux. Where mounting is not allowed the test is reported as
/// skipped with the reason, through `.enabled(if:)`, never passed silently.
@Suite("A full disk")
struct FullDiskTests {
    /// Whether this process may mount a tmpfs: tried once, on a throwaway directory.
    static let canMountTmpfs: Bool = {
        #if os(Linux)
        guard let probe = try? TmpfsMount(sizeKiB: 64) else { return false }
        probe.unmount()
        return true
        #else
        return false
        #endif
    }()

    @Test(
        "SQLITE_FULL is thrown, committed rows survive, and writes work again once space is freed",
        .enabled(if: FullDiskTests.canMountTmpfs, "cannot mount a tmpfs here (needs Linux and root or CAP_SYS_ADMIN)"))
    func fullDisk() async throws {
        #if os(Linux)
        let mount = try TmpfsMount(sizeKiB: 2048)
        // Unmounts whatever happens below; lazily if a file there is still open.
        defer { mount.unmount() }

        let database = try Database(path: mount.path + "/full.sqlite")
        try await database.write {
            try $0.execute(script: "CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT")
            try $0.execute("INSERT INTO blobs (data) VALUES (?)", [[UInt8]("committed before the disk filled".utf8)])
        }

        // Take most of the space with a file we can delete later.
        let filler = mount.path + "/filler"
        let fillerBytes = 1536 * 1024
        #expect(FileManager.default.createFile(atPath: filler, contents: Data(count: fillerBytes)))

        // Then fill the rest with blobs, one transaction each, until SQLite says the disk is full.
        let chunk = [UInt8](repeating: 0xAB, count: 32 * 1024)
        var committed = 1
        var failure: SQLiteError?
        for _ in 0..<256 {
            do {
                try await database.write { try $0.execute("INSERT INTO blobs (data) VALUES (?)", [chunk]) }
                committed += 1
            } catch let error as SQLiteError {
                failure = error
                break
            }
        }
        let error = try #require(failure, "filled 8 MiB into a 2 MiB tmpfs without an error")
        #expect(error.code & 0xff == 13, "expected SQLITE_FULL, got \(error)")
        #expect(error.isStorageFull)
        #expect(!error.isInjected)
        #expect(await database.isInTransaction == false)

        // Everything committed before the failure is there, the failed transaction is not.
        let rows = try await database.read { try $0.queryOne("SELECT COUNT(*) AS n FROM blobs")?.int("n") }
        #expect(rows == committed)
        let first = try await database.read { try $0.queryOne("SELECT data FROM blobs WHERE id = 1")?.blob("data") }
        #expect(first == [UInt8]("committed before the disk filled".utf8))

        // Free the space: the same connection writes again, no reopening.
        try FileManager.default.removeItem(atPath: filler)
        try await database.write { try $0.execute("INSERT INTO blobs (data) VALUES (?)", [chunk]) }
        let after = try await database.read { try $0.queryOne("SELECT COUNT(*) AS n FROM blobs")?.int("n") }
        #expect(after == committed + 1)
        #expect(try await database.quickCheck() == "ok")
        await database.close()
        #endif
    }
}

#if os(Linux)
/// A tmpfs mounted on a fresh temporary directory, with mount(2) and umount2(2) directly rather
/// than `/usr/bin/mount` through `Process`: unmounting has to happen in a `defer`, which cannot
/// await a process, and the system calls answer at once.
struct TmpfsMount {
    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    let path: String

    init(sizeKiB: Int) throws {
        path = TestPaths.temporaryDirectory().appendingPathComponent("tmpfs").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Glibc.mount("tmpfs", path, "tmpfs", 0, "size=\(sizeKiB)k,mode=0700") == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: path)  // best effort: an empty temp directory
            throw Failed(description: "mount -t tmpfs on \(path): \(reason)")
        }
    }

    /// Unmounts; if something still holds a file open there, detaches it (the kernel frees it
    /// when the last file closes) so the mount never outlives the test.
    func unmount() {
        if umount2(path, 0) != 0 {
            if umount2(path, Int32(MNT_DETACH)) != 0 {
                Issue.record("could not unmount \(path): \(String(cString: strerror(errno)))")
                return
            }
        }
        // The directory is empty once unmounted; a leftover would only be an empty temp directory.
        try? FileManager.default.removeItem(atPath: path)
    }
}
#endif
