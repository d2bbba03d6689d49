import HTTPServer
import Logging
import Storage

/// A domain error that knows the problem document it becomes.
protocol ProblemConvertible: Error {
    var problem: ProblemDetails { get }
}

/// The partner API's translation of domain errors into RFC 9457 problems: the only place where
/// a `ProvisioningError` or an account error gets a status code.
enum PartnerProblems {
    /// Claimgate's problem namespace: `type` is this plus the stable `code`.
    static let typePrefix = "urn:claimgate:problem:"

    static let storageUnavailable = ProblemDetails(
        status: 503, code: "storage-unavailable", title: "Service Unavailable",
        detail: "Claimgate could not read or record its state (storage failure); nothing was changed. Retry shortly.",
        headers: ["Retry-After": "2"])

    static func problem(for error: ProvisioningError) -> ProblemDetails {
        switch error {
        case .databaseNotFound:
            return ProblemDetails(status: 404, code: "database-not-found", title: "Not Found", detail: "No database with this id.")
        case .alreadyClaimed:
            return ProblemDetails(status: 409, code: "already-claimed", title: "Conflict",
                                  detail: "The database was claimed; it belongs to the user's workspace now.")
        case .stillProvisioning:
            return ProblemDetails(status: 409, code: "still-provisioning", title: "Conflict",
                                  detail: "The database is still being created; retry shortly.", headers: ["Retry-After": "5"])
        case .claimInProgress:
            return ProblemDetails(status: 409, code: "claim-in-progress", title: "Conflict",
                                  detail: "A user is claiming this database right now; it cannot be deleted meanwhile.",
                                  headers: ["Retry-After": "30"])
        case .notExtendable:
            return ProblemDetails(status: 409, code: "not-extendable", title: "Conflict",
                                  detail: "Only a ready database that has not expired can be extended.")
        case .notClaimable:
            return ProblemDetails(status: 409, code: "not-claimable", title: "Conflict",
                                  detail: "Only a ready (unclaimed, unexpired) database has a claim link.")
        case .noUsage:
            return ProblemDetails(status: 409, code: "no-usage", title: "Conflict",
                                  detail: "Usage is reported for ready databases only; a claimed one belongs to the user's workspace now.")
        case .idempotencyKeyReused:
            return ProblemDetails(status: 422, code: "idempotency-key-reused", title: "Unprocessable Content",
                                  detail: "This Idempotency-Key was used with a different request body.")
        case .idempotencyKeyInFlight:
            return ProblemDetails(status: 409, code: "idempotency-key-in-flight", title: "Conflict",
                                  detail: "A request with this Idempotency-Key is still being processed; retry shortly.",
                                  headers: ["Retry-After": "1"])
        case .provisioningPending(let id):
            return ProblemDetails(
                status: 503, code: "upstream-unavailable", title: "Service Unavailable",
                detail: "Prisma did not answer in time. The database is recorded and provisioning continues; repeat the request with the same Idempotency-Key to get its credentials.",
                extensions: ["databaseId": id], headers: ["Retry-After": "5"])
        case .upstreamRejected(let id, let reason):
            return ProblemDetails(status: 502, code: "upstream-rejected", title: "Bad Gateway", detail: reason,
                                  extensions: ["databaseId": id])
        case .upstreamUnavailable(let detail):
            return ProblemDetails(status: 503, code: "upstream-unavailable", title: "Service Unavailable", detail: detail,
                                  headers: ["Retry-After": "5"])
        case .deleteBlocked(let reason):
            return ProblemDetails(status: 409, code: "delete-blocked", title: "Conflict",
                                  detail: "Prisma refused to delete the project: \(reason) Nothing changed; retrying will not help until that is resolved.")
        case .invalid(let field, let message, let inQuery):
            return ProblemDetails(status: 400, code: inQuery ? "invalid-query" : "validation-error", title: "Bad Request",
                                  detail: "\(field) \(message)", extensions: ["field": field])
        case .invalidJSON:
            return ProblemDetails(status: 400, code: "invalid-json", title: "Bad Request", detail: "The body must be a JSON object.")
        case .storedResponseUnreadable:
            return ProblemDetails(status: 500, code: "stored-response-unreadable", title: "Internal Server Error",
                                  detail: "The stored answer for this key cannot be decrypted (was the encryption key changed?).")
        }
    }
}

extension ProvisioningError: ProblemConvertible {
    var problem: ProblemDetails { PartnerProblems.problem(for: self) }
}

/// Turns whatever a partner operation throws into its problem, in one place: domain errors by
/// their translation, storage failures into `503 storage-unavailable` (counted and logged with the
/// request id); anything else goes on to the router, which answers `500 internal`.
struct PartnerErrorMiddleware: HTTPMiddleware {
    let storageFaults: StorageFaults

    func handle(_ request: HTTPRequest, next: HTTPResponder) async throws -> HTTPResponse {
        do {
            return try await next(request)
        } catch let error as any ProblemConvertible {
            throw error.problem
        } catch where StorageFaults.isStorageFailure(error) {
            storageFaults.record(error, during: "\(request.method) \(request.routePattern ?? "?")", logger: request.logger)
            throw PartnerProblems.storageUnavailable
        }
    }
}
