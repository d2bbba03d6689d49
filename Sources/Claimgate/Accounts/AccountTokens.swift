import Foundation
import HTTPServer
import JSONValues
import Logging
import PrismaAPI
import Secrets
import Storage
import Timestamps

/// Hands out a valid access token for a connected account, refreshing it first when it expires
/// within a minute.
///
/// Prisma rotates refresh tokens and revokes the whole grant when an old one is presented again,
/// so refreshes are single-flight per account (concurrent callers wait for the one refresh; across
/// replicas the account's refresh lease makes the others wait and then read the tokens the one
/// refresh stored) and the new refresh token is committed before the new access token is handed out. `invalid_grant`
/// turns the account `needs_reauth` and emits `account.needs_reauth`.
public actor AccountTokens {
    let database: Database
    let oauth: OAuthClient?
    let box: SecretBox
    let clock: any WallClock
    let logger: Logger
    let leases: Leases
    private var refreshing: [String: Task<Outcome, any Error>] = [:]
    static let margin: Int64 = 60_000

    public enum Outcome: Sendable {
        case token(Secret, expiresAt: Int64?)
        case notFound
        /// The user must claim (sign in) again: the grant was revoked, expired or unreadable.
        case needsReauth
        /// Prisma could not be reached; the stored tokens are unchanged.
        case unavailable
    }

    public init(database: Database, oauth: OAuthClient?, box: SecretBox, clock: any WallClock, leases: Leases? = nil,
                logger: Logger) {
        self.leases = leases ?? Leases(database: database, clock: clock, durationSeconds: 60)
        self.database = database
        self.oauth = oauth
        self.box = box
        self.clock = clock
        self.logger = logger
    }

    static func accessContext(_ id: String) -> String { "accounts.access_token:\(id)" }
    static func refreshContext(_ id: String) -> String { "accounts.refresh_token:\(id)" }

    /// Throws the storage module's error when the grant cannot be read or recorded.
    public func accessToken(accountID: String) async throws -> Outcome {
        guard let account = try await database.read({ try AccountsRepository.find(accountID, in: $0) }) else { return .notFound }
        guard account.status == "active" else { return .needsReauth }
        if let usable = usableAccess(account) { return usable }
        if let running = refreshing[accountID] { return try await running.value }
        let task = Task { try await self.refreshLeased(accountID) }
        refreshing[accountID] = task
        defer { refreshing[accountID] = nil }
        return try await task.value
    }

    /// The stored access token, if it lasts beyond the margin. One that cannot be opened (key
    /// rotated) is simply refreshed: losing it is right.
    private func usableAccess(_ account: AccountRecord) -> Outcome? {
        guard let expires = account.accessExpiresAt, expires > clock.milliseconds() + AccountTokens.margin,
              let access = try? box.openString(account.accessToken, context: AccountTokens.accessContext(account.id))
        else { return nil }
        return .token(Secret(access), expiresAt: expires)
    }

    /// Refreshes under the account's refresh lease. While another replica holds it, polls (every
    /// 200 ms, up to one lease) for the tokens that replica stores; `unavailable` if none come.
    private func refreshLeased(_ accountID: String) async throws -> Outcome {
        let deadline = clock.milliseconds() + leases.duration
        let owner = leases.owner
        while true {
            let now = clock.milliseconds(), until = leases.until(now)
            let taken = try await database.write {
                try LeasesRepository.takeRefresh(accountID, owner: owner, until: until, now: now, in: $0)
            }
            // Read after taking: the replica that held the lease may have just stored new tokens.
            guard let account = try await database.read({ try AccountsRepository.find(accountID, in: $0) }) else {
                return .notFound
            }
            // Settled by someone else (another replica refreshed, or the grant is gone), or ours to do.
            let settled: Outcome? = account.status != "active" ? .needsReauth : usableAccess(account)
            if settled != nil || taken {
                let outcome: Outcome
                if let settled { outcome = settled } else { outcome = try await refresh(account) }
                if taken {
                    try await database.write { try LeasesRepository.releaseRefresh(accountID, owner: owner, in: $0) }
                }
                return outcome
            }
            guard now < deadline else {
                logger.warning("token refresh still held by another replica", metadata: ["account_id": "\(accountID)"])
                return .unavailable
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    private func refresh(_ account: AccountRecord) async throws -> Outcome {
        // An unreadable refresh token is as good as none: the user must sign in again.
        guard let oauth,
              let sealed = account.refreshToken,
              let refreshToken = try? box.openString(sealed, context: AccountTokens.refreshContext(account.id)) else {
            return try await needsReauth(account, reason: "no usable refresh token")
        }
        let tokens: OAuthTokens
        do {
            tokens = try await oauth.refresh(Secret(refreshToken))
        } catch where error.oauthError == "invalid_grant" || error.oauthError == "invalid_client" {
            return try await needsReauth(account, reason: error.oauthError ?? "invalid_grant")
        } catch {
            logger.warning("token refresh failed", metadata: ["account_id": "\(account.id)", "error": "\(error)"])
            return .unavailable
        }
        let now = clock.milliseconds()
        let expiresAt = tokens.expiresIn.map { now + Int64($0) * 1000 }
        let access = box.seal(tokens.accessToken.value, context: AccountTokens.accessContext(account.id))
        let refresh = tokens.refreshToken.map { box.seal($0.value, context: AccountTokens.refreshContext(account.id)) }
        do {
            try await database.write {
                try AccountsRepository.updateTokens(account.id, access: access, refresh: refresh, expiresAt: expiresAt, now: now, in: $0)
            }
        } catch {
            // The rotated refresh token could not be kept: the old one is now spent, so the grant is
            // lost. Said loudly, and the storage error goes to the caller (503).
            logger.error("rotated tokens not stored", metadata: ["account_id": "\(account.id)", "error": "\(error)"])
            throw error
        }
        logger.info("access token refreshed", metadata: ["account_id": "\(account.id)"])
        return .token(tokens.accessToken, expiresAt: expiresAt)
    }

    private func needsReauth(_ account: AccountRecord, reason: String) async throws -> Outcome {
        let now = clock.milliseconds()
        try await database.write { db in
            if try AccountsRepository.markNeedsReauth(account.id, now: now, in: db),
               let updated = try AccountsRepository.find(account.id, in: db) {
                try EventLog.record(.needsReauth, account: AccountView(account: updated), now: now, in: db)
            }
        }
        logger.warning("account needs re-authorization", metadata: ["account_id": "\(account.id)", "reason": "\(reason)"])
        return .needsReauth
    }
}

/// The partner-facing JSON of a connected account (never its tokens), members in key order.
struct AccountView: JSONRepresentable {
    let account: AccountRecord
    var databases: [String]?
    var createdAt: Int64?

    var json: [UInt8] {
        var writer = JSONObjectWriter()
        if let createdAt { writer.string("createdAt", Timestamp.string(milliseconds: createdAt)) }
        if let databases { writer.array("databaseIds", databases.map { JSONText.string($0) }) }
        writer.string("email", account.email)
        writer.string("id", account.id)
        writer.string("prismaUserId", account.prismaUserId)
        writer.string("scope", account.scope)
        writer.string("status", account.status)
        writer.string("workspaceId", account.workspaceId)
        return writer.finished
    }
}
