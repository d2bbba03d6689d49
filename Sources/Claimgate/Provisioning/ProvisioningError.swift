/// Why a partner operation on databases did not happen. Plain domain values: the partner API
/// turns them into problem documents (see `PartnerProblems.swift`); storage failures are not here,
/// they travel as the storage module's own errors.
public enum ProvisioningError: Error, Sendable, Equatable {
    case databaseNotFound
    case alreadyClaimed
    case stillProvisioning
    /// A user is claiming it right now (the claim lock is held).
    case claimInProgress
    case notExtendable
    case notClaimable
    /// Usage is reported for ready (unclaimed) databases only.
    case noUsage
    case idempotencyKeyReused
    case idempotencyKeyInFlight
    /// Prisma did not answer in time; the database is recorded and provisioning goes on.
    case provisioningPending(databaseId: String)
    /// Prisma refused to create the project, for good.
    case upstreamRejected(databaseId: String, reason: String)
    /// Prisma could not be reached for an operation that changed nothing.
    case upstreamUnavailable(String)
    /// Prisma refused to delete the project for good (`400`, e.g. dependencies prevent it).
    case deleteBlocked(String)
    /// A request body or query value is not acceptable.
    case invalid(field: String, message: String, inQuery: Bool)
    case invalidJSON
    /// A stored idempotent answer cannot be decrypted (the encryption key changed).
    case storedResponseUnreadable

    static func invalidQuery(_ field: String, _ message: String) -> ProvisioningError {
        .invalid(field: field, message: message, inQuery: true)
    }
    static func invalidBody(_ field: String, _ message: String) -> ProvisioningError {
        .invalid(field: field, message: message, inQuery: false)
    }
}
