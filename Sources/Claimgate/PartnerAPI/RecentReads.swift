import Storage
import Synchronization

/// Answers of `GET /v1/databases/{id}` already rendered, reused while they are certainly current:
/// nothing was written since they were read (``Database/changeCount`` did not move) and they are
/// less than `maxAge` old (which bounds what a write by another process — `claimgate migrate` on
/// a running service's file, an operator's `sqlite3` — can leave unseen).
///
/// Partners poll a database they wait for (every few seconds after a `202`); between two writes
/// the same answer is given from memory instead of a SQLite read, a row decode and the JSON
/// (half the CPU time of the read). Only where the engine counts its writes (SQLite, one writer):
/// on PostgreSQL other replicas write too, and nothing is cached.
final class RecentReads: Sendable {
    private struct Entry {
        let body: [UInt8]
        let changeCount: UInt64
        let readAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// The change count the entries were read at; a newer one empties the map at once.
        var changeCount: UInt64 = 0
    }

    private let database: Database
    private let maxAge: Duration
    private let capacity: Int
    private let state = Mutex(State())

    /// - Parameter maxAge: Zero turns the reuse off.
    init(database: Database, maxAge: Duration = .seconds(1), capacity: Int = 4096) {
        self.database = database
        self.maxAge = maxAge
        self.capacity = capacity
    }

    /// The stored answer for `id` if it is still current.
    func body(for id: String) -> [UInt8]? {
        guard maxAge > .zero, let current = database.changeCount else { return nil }
        let now = ContinuousClock.now
        return state.withLock { state -> [UInt8]? in
            guard let entry = state.entries[id], entry.changeCount == current, now - entry.readAt < maxAge else { return nil }
            return entry.body
        }
    }

    /// The change count to give ``store(_:for:readAfter:)``: taken *before* the read, so a write
    /// that lands during the read moves it and the stored answer is never used.
    var changeCount: UInt64? { database.changeCount }

    /// Keeps `body`, read after `changeCount` was taken, for `id`.
    func store(_ body: [UInt8], for id: String, readAfter changeCount: UInt64?) {
        guard maxAge > .zero, let changeCount else { return }
        let entry = Entry(body: body, changeCount: changeCount, readAt: .now)
        state.withLock { state in
            if changeCount != state.changeCount {
                guard changeCount > state.changeCount else { return }  // an older read: useless
                state.entries.removeAll(keepingCapacity: true)
                state.changeCount = changeCount
            }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[id] = entry
        }
    }
}
