import PrismaAPI
import Secrets

/// Prisma's Postgres regions, fetched once and cached for ten minutes. When Prisma cannot be
/// reached and nothing is cached, the six documented regions stand in (a create would then fail
/// on its own anyway).
public actor RegionCatalog {
    let client: ManagementClient
    let token: Secret
    let clock: any WallClock
    private var cached: (regions: [Region], at: Double)?

    static let documented = [
        Region(id: "us-east-1", name: "US East (N. Virginia)", status: "available"),
        Region(id: "us-west-1", name: "US West (N. California)", status: "available"),
        Region(id: "eu-west-3", name: "Europe (Paris)", status: "available"),
        Region(id: "eu-central-1", name: "Europe (Frankfurt)", status: "available"),
        Region(id: "ap-northeast-1", name: "Asia Pacific (Tokyo)", status: "available"),
        Region(id: "ap-southeast-1", name: "Asia Pacific (Singapore)", status: "available"),
    ]

    public init(client: ManagementClient, token: Secret, clock: any WallClock) {
        self.client = client
        self.token = token
        self.clock = clock
    }

    public func regions() async -> [Region] {
        let now = clock.now().timeIntervalSince1970
        if let cached, now - cached.at < 600 { return cached.regions }
        do {
            let fresh = try await client.postgresRegions(token: token)
            cached = (fresh, now)
            return fresh
        } catch {
            return cached?.regions ?? RegionCatalog.documented
        }
    }

    /// Ids a new database may use.
    public func availableIDs() async -> [String] {
        await regions().filter { $0.status == "available" }.map(\.id)
    }
}
