/// Prisma Postgres regions by the names people know them by.
///
/// Copied from Prisma's API reference (the six regions `POST /v1/projects` accepts), so a page
/// says "Europe (Frankfurt)" instead of `eu-central-1` without a call to Prisma on every view. A
/// region added later shows its id until it is added here.
enum RegionNames {
    static let names: [String: String] = [
        "us-east-1": "US East (N. Virginia)",
        "us-west-1": "US West (N. California)",
        "eu-west-3": "Europe (Paris)",
        "eu-central-1": "Europe (Frankfurt)",
        "ap-northeast-1": "Asia Pacific (Tokyo)",
        "ap-southeast-1": "Asia Pacific (Singapore)",
    ]

    /// "Europe (Frankfurt)" for `eu-central-1`; the id itself when unknown.
    static func displayName(_ id: String) -> String { names[id] ?? id }
}
