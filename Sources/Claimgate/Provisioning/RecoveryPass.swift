import Logging
import Storage

/// Resolves every database left `provisioning` — after a crash, a timeout, or an outage — by
/// adopting the project found under its `logicalId`, creating it, or (after `giveUpAfter`)
/// marking it `failed`. Runs at start and then periodically.
struct RecoveryPass: Sendable {
    let database: Database
    let provisioner: Provisioner
    let clock: any WallClock
    let logger: Logger
    let giveUpAfter: Int

    func runOnce() async throws {
        let ids = try await database.read { try DatabasesRepository.provisioningIDs(in: $0) }
        guard !ids.isEmpty else { return }
        logger.info("recovery pass", metadata: ["provisioning": "\(ids.count)"])
        for id in ids {
            if Task.isCancelled { return }
            if case .pending(let error) = try await provisioner.complete(id, budget: .background) {
                try await giveUpIfTooOld(id, error: error)
            }
        }
    }

    private func giveUpIfTooOld(_ id: String, error: Error) async throws {
        let now = clock.milliseconds()
        guard let record = try await database.read({ try DatabasesRepository.find(id, in: $0) }),
              now - record.createdAt > Int64(giveUpAfter) * 1000 else { return }
        try await provisioner.giveUp(id, reason: "Prisma could not be reached for \(giveUpAfter / 60) minutes: \(error)")
    }
}
