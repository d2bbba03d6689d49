import Foundation
import Secrets
import Storage

/// What the end user can do with a claim link besides claiming, and what the partner learns of it.
extension ClaimService {
    /// Reports the claim page as seen: `database.claim_link_opened`, at most once per link per hour
    /// (a user reloading the page, or a chat app unfurling the link, is one opening).
    func noteOpened(token: String, record: DatabaseRecord) async throws {
        let now = clock.milliseconds()
        let tokenHash = Digest.sha256(token)
        // Most views report nothing: look before taking a write transaction (on PostgreSQL every
        // write takes the replicas' write lock). The write checks again, so two views racing past
        // the read still report once.
        guard try await database.read({
            try PageEventsRepository.linkOpenedDue(tokenHash: tokenHash, notAfter: now - 3_600_000, in: $0)
        }) else { return }
        try await database.write { db in
            guard try PageEventsRepository.markLinkOpened(tokenHash: tokenHash, now: now, notAfter: now - 3_600_000, in: db) else { return }
            try EventLog.record(.claimLinkOpened, database: record, now: now, in: db)
        }
    }
}
