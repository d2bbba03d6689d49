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
        try await database.write { db in
            guard try PageEventsRepository.markLinkOpened(tokenHash: tokenHash, now: now, notAfter: now - 3_600_000, in: db) else { return }
            try EventLog.record(.claimLinkOpened, database: record, now: now, in: db)
        }
    }
}
