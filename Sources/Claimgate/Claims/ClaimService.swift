import Foundation
import Logging
import PrismaAPI
import Secrets
import Storage

/// The claim flow as plain Swift: a claim link names one database; starting a claim stores an
/// OAuth state, PKCE verifier and browser binding; the callback consumes the state once, before
/// any call to Prisma, then exchanges the code, records the user's grant, transfers the project
/// and marks the database claimed — one transfer per database, however many tabs or clicks.
public final class ClaimService: Sendable {
    let database: Database
    let upstream: (any ClaimUpstream)?
    let box: SecretBox
    let clock: any WallClock
    let publicURL: String
    /// The authorization server's issuer (its base URL), checked against an `iss` parameter.
    let issuer: String
    /// Keep the user's grant after the transfer (connected accounts); when off, tokens are used
    /// for the transfer and never stored.
    let keepTokens: Bool
    /// `keep`, `rotate` or `revoke`: the default for the partner's credentials at claim.
    let credentialsOnClaim: String
    let logger: Logger
    static let stateLifetime: Int64 = 600_000
    public static let staleClaimLock: Int64 = 120_000

    public init(database: Database, upstream: (any ClaimUpstream)?, box: SecretBox, clock: any WallClock,
                publicURL: String, issuer: String, keepTokens: Bool = true, credentialsOnClaim: String = "keep", logger: Logger) {
        self.credentialsOnClaim = credentialsOnClaim
        self.database = database
        self.upstream = upstream
        self.box = box
        self.clock = clock
        self.publicURL = publicURL
        self.issuer = issuer
        self.keepTokens = keepTokens
        self.logger = logger
    }

    public var redirectURI: String { publicURL + "/oauth/callback" }

    /// What a claim link leads to.
    public enum LinkState: Sendable {
        case claimable(DatabaseRecord)
        /// Unknown or tampered token.
        case unknown
        /// Replaced by a newer link.
        case revoked
        case expired
        case claimed
        case deleted
        /// Still provisioning, or failed.
        case unavailable
    }

    /// Throws the storage module's error when the link cannot be looked up (never "not valid").
    public func inspect(token: String) async throws -> LinkState {
        guard SecureRandom.isToken(token) else { return .unknown }
        let now = clock.milliseconds()
        let found: (ClaimLink, DatabaseRecord?)? = try await database.read { db in
            guard let link = try ClaimsRepository.link(tokenHash: Digest.sha256(token), in: db) else { return nil }
            return (link, try DatabasesRepository.find(link.databaseId, in: db))
        }
        guard let (link, record) = found, let record else { return .unknown }
        switch record.status {
        case .claimed: return .claimed
        case .deleted: return .deleted
        case .expired: return .expired
        case .provisioning, .failed: return .unavailable
        case .ready:
            if link.revokedAt != nil { return .revoked }
            if link.expiresAt <= now || record.expiresAt <= now { return .expired }
            return .claimable(record)
        }
    }

    /// How starting a claim ended.
    public enum Start: Sendable {
        /// Send the browser to Prisma's sign-in (303).
        case redirect(URL)
        case notClaimable(LinkState)
        /// No OAuth client configured.
        case unavailable
    }

    /// `POST /claim/<token>`: stores a fresh state (256 bits) and PKCE verifier, bound to the browser.
    public func start(token: String, browserNonce: String) async throws -> Start {
        let link = try await inspect(token: token)
        guard case .claimable(let record) = link else { return .notClaimable(link) }
        guard let upstream else { return .unavailable }
        let state = SecureRandom.token()
        let verifier = PKCE.makeVerifier()
        let stateHash = Digest.sha256(state)
        let context = Digest.hex(stateHash)
        let now = clock.milliseconds()
        let stored = OAuthStateRecord(
            databaseId: record.id, claimToken: box.seal(token, context: "oauth_states.claim_token:\(context)"),
            verifier: box.seal(verifier.value, context: "oauth_states.verifier:\(context)"),
            browserHash: Digest.sha256(browserNonce), expiresAt: now + ClaimService.stateLifetime, consumedAt: nil)
        try await database.write { db in
            try ClaimsRepository.pruneStates(before: now - 86_400_000, in: db)
            try ClaimsRepository.insertState(stateHash: stateHash, record: stored, now: now, in: db)
            try EventLog.record(.claimStarted, database: record, now: now, in: db)
        }
        return .redirect(upstream.authorizationURL(
            redirectURI: redirectURI, state: Secret(state), codeChallenge: PKCE.challenge(for: verifier.value)))
    }

    /// The callback's query, already checked for duplicates and lengths by the route.
    public struct CallbackParameters: Sendable {
        public var state: String?
        public var code: String?
        public var error: String?
        public var issuer: String?
        public init(state: String?, code: String?, error: String?, issuer: String?) {
            self.state = state
            self.code = code
            self.error = error
            self.issuer = issuer
        }
    }

    /// How a callback ended.
    public enum Callback: Sendable {
        case claimed(name: String, consoleURL: String)
        /// The request did not come from a sign-in we started in this browser (or was replayed).
        case rejected(String)
        /// The user said no at Prisma; the link still works.
        case denied
        case alreadyClaimed
        case inProgress
        case linkGone(LinkState)
        /// Sign-in or transfer failed; the database is claimable again.
        case failed(String)
        /// The link that started this sign-in was replaced or revoked meanwhile.
        case linkReplaced
        /// Prisma did not confirm the transfer either way; the reconciler will settle it.
        case unconfirmed
        /// The chosen workspace is at its plan's project limit; the database is claimable again.
        case planLimit(plan: String?, upgradeURL: String?)
    }

    public func callback(_ parameters: CallbackParameters, browserNonce: String?) async throws -> Callback {
        if let issuer = parameters.issuer, issuer != self.issuer { return .rejected("The answer came from an unexpected issuer.") }
        guard let state = parameters.state, SecureRandom.isToken(state) else {
            return .rejected("The sign-in answer has no valid state.")
        }
        guard let browserNonce, SecureRandom.isToken(browserNonce) else {
            return .rejected("This browser did not start this sign-in (no claim cookie).")
        }
        let stateHash = Digest.sha256(state)
        let now = clock.milliseconds()
        // Consume the state exactly once, before any call to Prisma.
        // A link revoked or replaced meanwhile ends the sign-in it started: the claim must be made
        // with the link that is current now.
        let consumed = try await database.write { db -> (OAuthStateRecord, linkCurrent: Bool)? in
            guard let record = try ClaimsRepository.state(stateHash: stateHash, in: db),
                  try ClaimsRepository.consumeState(stateHash: stateHash, browserHash: Digest.sha256(browserNonce), now: now, in: db)
            else { return nil }
            return (record, try ClaimService.linkIsCurrent(record, stateHash: stateHash, box: box, now: now, in: db))
        }
        guard let (stored, linkCurrent) = consumed else {
            return .rejected("This sign-in is unknown, expired, already used, or was started in another browser.")
        }
        if let error = parameters.error {
            logger.info("claim sign-in declined", metadata: ["database_id": "\(stored.databaseId)", "error": "\(error.prefix(40))"])
            return .denied
        }
        guard linkCurrent else {
            logger.info("claim refused: its link was replaced", metadata: ["database_id": "\(stored.databaseId)"])
            return .linkReplaced
        }
        // An unreadable verifier (encryption key changed since the sign-in started) cannot finish.
        guard let code = parameters.code, let upstream,
              let verifier = try? box.openString(stored.verifier, context: "oauth_states.verifier:\(Digest.hex(stateHash))") else {
            return .rejected("The sign-in answer has no code.")
        }
        return try await complete(databaseID: stored.databaseId, code: Secret(code), verifier: Secret(verifier), upstream: upstream)
    }

    /// Whether the claim link that started a sign-in is still the database's current one.
    static func linkIsCurrent(_ state: OAuthStateRecord, stateHash: [UInt8], box: SecretBox, now: Int64,
                              in db: any SQLSession) throws -> Bool {
        // A claim token that cannot be opened cannot be checked: treat the link as not current.
        guard let token = try? box.openString(state.claimToken, context: "oauth_states.claim_token:\(Digest.hex(stateHash))"),
              let link = try ClaimsRepository.link(tokenHash: Digest.sha256(token), in: db) else { return false }
        return link.databaseId == state.databaseId && link.revokedAt == nil && link.expiresAt > now
    }

    /// Exchange, record the grant, transfer, mark claimed — under the database's claim lock.
    private func complete(databaseID: String, code: Secret, verifier: Secret, upstream: any ClaimUpstream) async throws -> Callback {
        let now = clock.milliseconds()
        let locked = try await database.write { db -> Bool in
            try ClaimsRepository.lockClaim(databaseId: databaseID, now: now, staleBefore: now - ClaimService.staleClaimLock, in: db)
        }
        guard locked else {
            let record = try await database.read { try DatabasesRepository.find(databaseID, in: $0) }
            switch record?.status {
            case .claimed?: return .alreadyClaimed
            case .ready?: return .inProgress
            case .deleted?: return .linkGone(.deleted)
            default: return .linkGone(.expired)
            }
        }
        let outcome: Callback
        do {
            outcome = try await transfer(databaseID: databaseID, code: code, verifier: verifier, upstream: upstream)
        } catch {
            // Storage failed mid-claim. Releasing the lock is best effort: it goes stale by itself
            // after `staleClaimLock`, and a transfer mark (if one was written) keeps the database
            // out of new claims until the reconciler settles it. The storage error is what counts.
            do {
                try await database.write { try ClaimsRepository.unlockClaim(databaseId: databaseID, in: $0) }
            } catch let unlockError {
                logger.warning("claim lock not released; it goes stale by itself", metadata: [
                    "database_id": "\(databaseID)", "error": "\(unlockError)",
                ])
            }
            throw error
        }
        switch outcome {
        case .claimed, .unconfirmed: return outcome
        case .failed(let message):
            let failed = clock.milliseconds()
            try await database.write { db in
                try ClaimsRepository.unlockClaim(databaseId: databaseID, in: db)
                if let record = try DatabasesRepository.find(databaseID, in: db) {
                    try EventLog.record(.claimFailed, database: record, extras: ["reason": .string(message)], now: failed, in: db)
                }
            }
            return outcome
        default:
            try await database.write { try ClaimsRepository.unlockClaim(databaseId: databaseID, in: $0) }
            return outcome
        }
    }

    private func transfer(databaseID: String, code: Secret, verifier: Secret, upstream: any ClaimUpstream) async throws -> Callback {
        guard let record = try await database.read({ try DatabasesRepository.find(databaseID, in: $0) }),
              record.status == .ready, let projectID = record.projectId else { return .linkGone(.expired) }
        let tokens: OAuthTokens
        let principal: ClaimIdentity
        do {
            tokens = try await upstream.exchange(code: code, verifier: verifier, redirectURI: redirectURI)
            principal = try await upstream.identity(token: tokens.accessToken)
        } catch {
            logger.warning("claim sign-in failed", metadata: ["database_id": "\(databaseID)", "error": "\(error)"])
            return .failed("Prisma did not complete the sign-in. Nothing was changed; you can try again.")
        }
        guard let workspace = principal.workspace else {
            return .failed("Prisma did not say which workspace you chose. Nothing was changed; try again.")
        }
        // Recorded before the request leaves: whatever happens next, the reconciler can settle it.
        let started = clock.milliseconds()
        guard try await database.write({
            try TransfersRepository.markStarted(databaseId: databaseID, workspaceId: workspace.id, now: started, in: $0)
        }) else { return .linkGone(.expired) }
        var moved = false
        /// Some attempt failed in a way that may hide a transfer that happened (timeout, dropped answer, 5xx).
        var ambiguous = false
        var lastError: PrismaError?
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(200 * (1 << attempt))) }  // cancellation only shortens the pause
            do {
                try await upstream.transfer(projectID: projectID, recipient: tokens.accessToken)
                moved = true
                break
            } catch {
                lastError = error
                ambiguous = ambiguous || error.mayHaveBeenApplied
                // A 409 or an ambiguous failure may hide a transfer that happened: the user's token
                // sees the project once it moved. Not seeing it proves nothing (listing may lag).
                if let seen = try? await upstream.project(id: projectID, token: tokens.accessToken), seen.workspace.id == workspace.id {
                    moved = true
                    break
                }
                if !(error.isTransient || error.mayHaveBeenApplied) { break }
            }
        }
        guard moved else {
            logger.warning("transfer failed", metadata: [
                "database_id": "\(databaseID)", "ambiguous": "\(ambiguous)", "error": "\(lastError.map { "\($0)" } ?? "")",
            ])
            // It may have happened: keep the mark (and the lock) for the reconciler to settle.
            if ambiguous { return .unconfirmed }
            let now = clock.milliseconds()
            try await database.write { try TransfersRepository.release(databaseId: databaseID, now: now, in: $0) }
            if let lastError, lastError.isPlanLimit {
                // Say it plainly, with the way out Prisma offers (best effort: without it the page
                // still says what happened).
                let subscription = try? await upstream.subscription(workspaceID: workspace.id, token: tokens.accessToken)
                let failed = clock.milliseconds()
                try await database.write { db in
                    if let record = try DatabasesRepository.find(databaseID, in: db) {
                        try EventLog.record(.claimFailed, database: record, extras: ["reason": .string("plan limit of the chosen workspace")],
                                            now: failed, in: db)
                    }
                }
                return .planLimit(plan: subscription?.planName, upgradeURL: subscription?.upgradeUrl)
            }
            let reason = lastError?.kind == .conflict
                ? "Prisma could not move the project into that workspace. Try again and pick another workspace."
                : "Prisma could not move the project right now. Nothing was lost; try again in a moment."
            return .failed(reason)
        }
        let credentialsOutcome = await applyCredentialsPolicy(record, token: tokens.accessToken, upstream: upstream)
        let finished = clock.milliseconds()
        let box = self.box
        let userID = principal.userID ?? "unknown"
        let email = principal.email
        let keepTokens = self.keepTokens
        do {
            try await database.write { db in
                var accountID: String?
                if keepTokens {
                    let id = try ClaimsRepository.accountID(prismaUserId: userID, workspaceId: workspace.id, in: db)
                        ?? "acct_" + SecureRandom.idBody()
                    try ClaimsRepository.upsertAccount(AccountRecord(
                        id: id, prismaUserId: userID, workspaceId: workspace.id, email: email,
                        accessToken: box.seal(tokens.accessToken.value, context: AccountTokens.accessContext(id)),
                        refreshToken: tokens.refreshToken.map { box.seal($0.value, context: AccountTokens.refreshContext(id)) },
                        accessExpiresAt: tokens.expiresIn.map { finished + Int64($0) * 1000 }, scope: tokens.scope, status: "active"),
                        now: finished, in: db)
                    accountID = id
                }
                if try ClaimsRepository.markClaimed(databaseId: databaseID, workspaceId: workspace.id, accountId: accountID, now: finished, in: db),
                   let claimed = try DatabasesRepository.find(databaseID, in: db) {
                    try EventLog.record(.claimed, database: claimed, extras: [
                        "accountId": accountID.map { .string($0) } ?? .null, "credentials": .string(credentialsOutcome),
                    ], now: finished, in: db)
                }
            }
        } catch {
            // The project moved but the record failed: the transfer mark stays, and the reconciler
            // records the claim once storage works again.
            logger.error("transferred but not recorded; the reconciler will record it", metadata: [
                "database_id": "\(databaseID)", "error": "\(error)",
            ])
            throw error
        }
        logger.info("database claimed", metadata: ["database_id": "\(databaseID)", "workspace_id": "\(workspace.id)"])
        return .claimed(name: record.name, consoleURL: ClaimService.consoleURL(
            workspace: workspace.id, project: projectID, database: record.prismaDatabaseId))
    }

    /// What happens to the credentials the partner got, now that the project is the user's:
    /// `kept`, `rotated`, `revoked`, or `<choice>-failed` (the claim stands either way; the event says
    /// which, so the partner knows whether its password still works). With the user's token: the
    /// partner's no longer reaches the project.
    private func applyCredentialsPolicy(_ record: DatabaseRecord, token: Secret, upstream: any ClaimUpstream) async -> String {
        let choice = record.onClaim ?? credentialsOnClaim
        guard choice != "keep" else { return "kept" }
        guard let connectionID = record.connectionId else { return "\(choice)-failed" }
        do {
            if choice == "rotate" {
                try await upstream.rotateConnection(id: connectionID, token: token)
                return "rotated"
            }
            try await upstream.deleteConnection(id: connectionID, token: token)
            return "revoked"
        } catch {
            logger.error("credentials policy not applied at claim", metadata: [
                "database_id": "\(record.id)", "policy": "\(choice)", "error": "\(error)",
            ])
            return "\(choice)-failed"
        }
    }

    /// Re-issues the claim link of a ready database, revoking the previous one.
    public func reissue(databaseID: String) async throws -> (url: String, expiresAt: Int64) {
        let token = SecureRandom.token()
        let now = clock.milliseconds()
        return try await database.write { db -> (String, Int64) in
            guard let record = try DatabasesRepository.find(databaseID, in: db) else { throw ProvisioningError.databaseNotFound }
            guard record.status == .ready else { throw ProvisioningError.notClaimable }
            try DatabasesRepository.revokeClaimLinks(databaseId: databaseID, now: now, in: db)
            try DatabasesRepository.insertClaimLink(tokenHash: Digest.sha256(token), databaseId: databaseID, now: now,
                                                    expiresAt: record.expiresAt, in: db)
            return ("\(publicURL)/claim/\(token)", record.expiresAt)
        }
    }

    static func consoleURL(workspace: String, project: String, database: String?) -> String {
        func bare(_ id: String) -> String { id.split(separator: "_", maxSplits: 1).last.map(String.init) ?? id }
        var url = "https://console.prisma.io/\(bare(workspace))/\(bare(project))"
        if let database { url += "/\(bare(database))" }
        return url
    }
}
