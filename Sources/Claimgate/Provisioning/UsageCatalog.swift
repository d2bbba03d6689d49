import PrismaAPI
import Secrets

/// A database's usage as Prisma reports it, cached for a minute per database: partners' dashboards
/// poll it, and each call would otherwise spend the workspace's Prisma rate limit.
actor UsageCatalog {
    let client: ManagementClient
    let token: Secret
    let clock: any WallClock
    static let lifetime: Int64 = 60_000
    private var cached: [String: (usage: DatabaseUsage, at: Int64)] = [:]

    init(client: ManagementClient, token: Secret, clock: any WallClock) {
        self.client = client
        self.token = token
        self.clock = clock
    }

    func usage(prismaDatabaseID: String) async throws(PrismaError) -> DatabaseUsage {
        let now = clock.milliseconds()
        if let hit = cached[prismaDatabaseID], now - hit.at < UsageCatalog.lifetime { return hit.usage }
        let fresh = try await client.databaseUsage(databaseID: prismaDatabaseID, token: token)
        cached[prismaDatabaseID] = (fresh, now)
        if cached.count > 10_000 { cached = cached.filter { now - $0.value.at < UsageCatalog.lifetime } }
        return fresh
    }
}
