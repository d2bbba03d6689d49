import Secrets
import Storage

/// This process's name in the leases of the database, and how long a lease it takes.
///
/// Work that must not run twice at once — a database's create, an idempotency key's first
/// answer, an account's token refresh, a background pass — is leased in the database rather than
/// remembered in this process, so that replicas sharing one PostgreSQL exclude each other, and a
/// replica that dies (its leases unreleased) holds nothing for longer than ``duration``. The same
/// code runs on SQLite, where there is one process and a lease is never contended by another.
public struct Leases: Sendable {
    /// A random id per process start: a restarted replica is a new owner, so it waits out the
    /// leases its previous life left rather than assuming work it may not have finished.
    public let owner: String
    /// How long a lease lasts without renewal (milliseconds).
    public let duration: Int64
    let database: Database
    let clock: any WallClock

    public init(database: Database, clock: any WallClock, durationSeconds: Int, owner: String? = nil) {
        self.owner = owner ?? "replica_" + SecureRandom.idBody()
        self.duration = Int64(durationSeconds) * 1000
        self.database = database
        self.clock = clock
    }

    /// Until when a lease taken now lasts.
    func until(_ now: Int64) -> Int64 { now + duration }

    /// Takes (or renews) the lease of a background pass; false while another replica holds it.
    /// Passes run every few seconds to minutes, so a pass lease lasts at least two intervals: the
    /// holder renews it at each pass, and another replica takes over after it stops renewing.
    public func takePass(_ name: String, interval: Duration) async throws -> Bool {
        let now = clock.milliseconds()
        let until = now + max(duration, 2 * Int64(interval / .milliseconds(1)))
        let owner = self.owner
        return try await database.write { try LeasesRepository.takeWork(name, owner: owner, until: until, now: now, in: $0) }
    }
}
