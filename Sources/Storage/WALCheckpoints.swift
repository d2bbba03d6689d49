import CSQLite
import Synchronization

/// When the write connection copies the WAL back into the database file.
///
/// SQLite's own rule (checkpoint in the commit that takes the WAL past 1,000 frames) puts the
/// checkpoint — the WAL synced, a few hundred pages written, the database file synced, and the
/// restarted WAL's header synced by the next commit — inside some request's commit: under a steady
/// stream of provisions that was every ~40th request and 1.5–3 ms added to it, which made the p99.
/// Instead:
/// - once the WAL holds `idleFrames`, the checkpoint waits for the SQLite thread to be idle: the
///   first `idleDelay` in which no job came for it. A provision leaves the thread idle while
///   Prisma answers, so under a steady stream of provisions the checkpoint starts inside such a
///   wait rather than inside somebody's commit. Measured with one connection against the emulator
///   (0.4–0.5 ms per call): a checkpoint at ~1,000 frames (~35 provisions) takes 1.3 ms (median;
///   the database file's sync is most of it), so the provision whose wait it starts in is ~1.3 ms
///   slower — one in ~35, where before one in ~340 paid 5–6 ms inside its commit. 0.2 ms is far
///   longer than the CPU work between two writes of one request and far shorter than any network
///   wait. It used to be 20 ms without a write, which a steady stream of provisions never left, so
///   the ceiling did every checkpoint. Larger thresholds (3,000 and 6,000 frames: 2.0 and 2.8 ms
///   per checkpoint) were no better, interleaved; at 300 (every ~10 provisions, 1.1 ms each) three
///   runs of six had a p99 of 5.7–70 ms, against none of ~20 at 1,000.
/// - a WAL that reaches `ceilingFrames` anyway (the thread never idle: writes back to back) is
///   checkpointed in the commit that reached it, as SQLite would have done at 1,000, so the WAL
///   stays bounded (`ceilingFrames` × the page size on disk; the file is reused, not truncated,
///   since overwriting a WAL's blocks syncs in half the time of appending to it here). 10,000
///   frames is ~340 provisions at full speed: fewer than 1 % of requests pay for a checkpoint
///   (at 4,000, every ~135th did, and the p99 showed it).
public struct CheckpointPolicy: Sendable {
    /// The WAL's size from which a checkpoint is wanted at the next idle moment.
    public var idleFrames: Int
    /// How long the SQLite thread must have had nothing to run for that moment to count as idle.
    public var idleDelay: Duration
    /// The WAL's size at which the commit that reached it checkpoints, idle or not.
    public var ceilingFrames: Int

    public init(idleFrames: Int = 1000, idleDelay: Duration = .microseconds(200), ceilingFrames: Int = 10_000) {
        self.idleFrames = idleFrames
        self.idleDelay = idleDelay
        self.ceilingFrames = max(ceilingFrames, idleFrames)
    }
}

/// The WAL's size as the last commit left it, written by SQLite's WAL hook on the SQLite thread
/// and read there (and by diagnostics), plus the ceiling checkpoint the hook runs itself.
final class WALMonitor: Sendable {
    let ceilingFrames: Int
    /// Frames in the WAL after the last commit (0 after a complete checkpoint).
    let frames = Atomic<Int>(0)
    /// Told of a failed ceiling checkpoint (the commit itself succeeded and is not affected).
    let onFailure: @Sendable (SQLiteError) -> Void

    init(ceilingFrames: Int, onFailure: @escaping @Sendable (SQLiteError) -> Void) {
        self.ceilingFrames = ceilingFrames
        self.onFailure = onFailure
    }
}

extension SQLiteConnection {
    /// Replaces SQLite's automatic checkpoint with `monitor` (see ``CheckpointPolicy``): SQLite
    /// calls it after every commit with the WAL's frame count. The connection keeps `monitor`.
    func monitorWAL(_ monitor: WALMonitor) {
        walMonitor = monitor
        sqlite3_wal_hook(rawHandle, { context, db, name, frames in
            guard let context else { return SQLITE_OK }
            let monitor = Unmanaged<WALMonitor>.fromOpaque(context).takeUnretainedValue()
            monitor.frames.store(Int(frames), ordering: .relaxed)
            guard Int(frames) >= monitor.ceilingFrames else { return SQLITE_OK }
            var log: Int32 = 0, copied: Int32 = 0
            let rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
            if rc == SQLITE_OK, log == copied {
                monitor.frames.store(0, ordering: .relaxed)
            } else if rc != SQLITE_OK && rc != SQLITE_BUSY {  // BUSY: another checkpoint runs; the next commit retries
                monitor.onFailure(SQLiteError(code: rc, message: "WAL checkpoint at the ceiling failed", sql: "wal_checkpoint"))
            }
            // What the hook returns becomes the commit's result: the commit is durable either way.
            return SQLITE_OK
        }, Unmanaged.passUnretained(monitor).toOpaque())
    }

    /// A passive checkpoint (it never waits for readers): whether it copied the whole WAL.
    func checkpoint() throws -> Bool {
        var log: Int32 = 0, copied: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(rawHandle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        guard rc == SQLITE_OK else {
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(rawHandle)), sql: "wal_checkpoint")
        }
        if log == copied { walMonitor?.frames.store(0, ordering: .relaxed) }
        return log == copied
    }
}
