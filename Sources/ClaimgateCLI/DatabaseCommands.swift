import ArgumentParser
import Claimgate
import Foundation
import Secrets
import JSONValues

/// `claimgate db …`: the partner API from a terminal, the equivalent of Prisma's create-db and
/// get-db for a partner's own Claimgate.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Create, inspect and manage databases through a running Claimgate's partner API.",
        discussion: """
            Needs the service's URL and a partner API key: --url/--api-key or CLAIMGATE_URL/CLAIMGATE_API_KEY. \
            Prints tables by default and the API's JSON with --json. A problem prints its code and detail on \
            stderr and exits 1 (69 when the service cannot be reached).
            """,
        subcommands: [Create.self, Get.self, List.self, ClaimURL.self, Extend.self, Delete.self])

    /// Fields shown for one database, in this order.
    static let databaseFields = [
        "id", "status", "name", "region", "reference", "expiresAt", "createdAt", "claimedAt", "claimedWorkspaceId",
        "failureReason", "projectId", "databaseId", "metadata", "connectionString", "pooledConnectionString", "claimUrl",
    ]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a database; prints its connection strings and claim URL (shown only this once).")
        @OptionGroup var connection: ClientOptions
        @Option(help: "Database name.") var name: String?
        @Option(help: "Region id (see `claimgate regions`).") var region: String?
        @Option(help: "Seconds until an unclaimed database expires.") var ttl: Int?
        @Option(help: "Your reference for it (e.g. a user id).") var reference: String?
        @Option(help: "Metadata, a JSON object.") var metadata: String?
        @Option(help: "On claim: keep, rotate or revoke these credentials.") var onClaim: String?
        @Option(help: "Idempotency-Key (default: a new random one). Repeat a create with the same key to get the same database.")
        var idempotencyKey: String?
        @Flag(help: "Print the API's JSON.") var json = false
        @Flag(help: "Print DATABASE_URL (and DIRECT_URL where it differs) as .env lines, with the claim URL and expiry as comments.")
        var env = false
        @Option(help: "Append those .env lines to this file instead of printing them.") var envFile: String?

        func validate() throws {
            if json && (env || envFile != nil) { throw ValidationError("--json cannot be combined with --env/--env-file") }
            if let metadata, (try? JSONValue.parse(Array(metadata.utf8)))?.object == nil {
                throw ValidationError("--metadata must be a JSON object")
            }
        }

        func run() async throws {
            let client = try connection.client()
            var body: [String: JSONValue] = [:]
            if let name { body["name"] = .string(name) }
            if let region { body["region"] = .string(region) }
            if let ttl { body["ttlSeconds"] = .int(ttl) }
            if let reference { body["reference"] = .string(reference) }
            if let metadata { body["metadata"] = try JSONValue.parse(Array(metadata.utf8)) }
            if let onClaim { body["onClaim"] = .string(onClaim) }
            let key = idempotencyKey ?? "cli-" + SecureRandom.idBody()
            let outcome: CreateOutcome
            do {
                outcome = try await client.createDatabase(body, idempotencyKey: key) { database, elapsed in
                    Terminal.error("waiting for Prisma to finish creating \(database["id"]?.text ?? "the database") (\(elapsed.components.seconds) s)…")
                }
            } catch { throw Terminal.fail(error) }
            switch outcome {
            case .provisioning(let database, let key):
                if json { print(database.pretty) }
                Terminal.error("""
                    claimgate: still-provisioning: \(database["id"]?.text ?? "the database") is still being created at Prisma; \
                    run the same command with --idempotency-key \(key) to collect its credentials
                    """)
                throw ExitCode(75)  // EX_TEMPFAIL
            case .ready(let database):
                if json { print(database.pretty); return }
                if env || envFile != nil {
                    let lines = EnvLines.make(database)
                    guard let envFile else { print(lines, terminator: ""); return }
                    try EnvLines.append(lines, to: envFile)
                    print("appended DATABASE_URL\(lines.contains("DIRECT_URL=") ? " and DIRECT_URL" : "") for \(database["id"]?.text ?? "") to \(envFile)")
                    print("claim URL (give it to the user before \(database["expiresAt"]?.text ?? "it expires")): \(database["claimUrl"]?.text ?? "")")
                    return
                }
                print(Terminal.fields(database, DatabaseCommand.databaseFields))
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one database (without its credentials).")
        @OptionGroup var connection: ClientOptions
        @Argument(help: "Database id (cgdb_…).") var id: String
        @Flag(help: "Print the API's JSON.") var json = false

        func run() async throws {
            let client = try connection.client()
            let database: JSONValue
            do { database = try await client.database(id) } catch { throw Terminal.fail(error) }
            print(json ? database.pretty : Terminal.fields(database, DatabaseCommand.databaseFields))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List databases, oldest first (one page).")
        @OptionGroup var connection: ClientOptions
        @Option(help: "Only this status (provisioning, ready, claimed, expired, deleted, failed).") var status: String?
        @Option(help: "Only this reference.") var reference: String?
        @Option(help: "Page size, 1–100.") var limit: Int?
        @Option(help: "nextCursor of the previous page.") var cursor: String?
        @Flag(help: "Print the API's JSON.") var json = false

        func run() async throws {
            let client = try connection.client()
            let page: JSONValue
            do { page = try await client.databases(status: status, reference: reference, limit: limit, cursor: cursor) } catch {
                throw Terminal.fail(error)
            }
            if json { print(page.pretty); return }
            let rows = (page["data"]?.array ?? []).map { database in
                ["id", "status", "name", "region", "expiresAt", "reference"].map { database[$0]?.text ?? "" }
            }
            print(Terminal.table(["ID", "STATUS", "NAME", "REGION", "EXPIRES", "REFERENCE"], rows))
            if page["hasMore"]?.bool == true, let next = page["nextCursor"]?.string { print("more: --cursor \(next)") }
        }
    }

    struct ClaimURL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "claim-url", abstract: "Issue a new claim link for a database (the previous one stops working).")
        @OptionGroup var connection: ClientOptions
        @Argument(help: "Database id.") var id: String
        @Flag(help: "Print the API's JSON.") var json = false

        func run() async throws {
            let client = try connection.client()
            let link: JSONValue
            do { link = try await client.newClaimURL(id) } catch { throw Terminal.fail(error) }
            print(json ? link.pretty : Terminal.fields(link, ["claimUrl", "expiresAt"]))
        }
    }

    struct Extend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make an unclaimed database expire N seconds from now.")
        @OptionGroup var connection: ClientOptions
        @Argument(help: "Database id.") var id: String
        @Option(help: "Seconds from now until expiry.") var ttl: Int
        @Flag(help: "Print the API's JSON.") var json = false

        func run() async throws {
            let client = try connection.client()
            let database: JSONValue
            do { database = try await client.extend(id, ttlSeconds: ttl) } catch { throw Terminal.fail(error) }
            print(json ? database.pretty : Terminal.fields(database, DatabaseCommand.databaseFields))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an unclaimed database and its Prisma project.")
        @OptionGroup var connection: ClientOptions
        @Argument(help: "Database id.") var id: String
        @Flag(help: "Print the API's JSON.") var json = false

        func run() async throws {
            let client = try connection.client()
            let database: JSONValue
            do { database = try await client.delete(id) } catch { throw Terminal.fail(error) }
            print(json ? database.pretty : "deleted \(database["id"]?.text ?? id) (status \(database["status"]?.text ?? ""))")
        }
    }
}

/// `claimgate regions`: where databases can be created.
struct RegionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regions", abstract: "List the regions a running Claimgate can create databases in.")
    @OptionGroup var connection: ClientOptions
    @Flag(help: "Print the API's JSON.") var json = false

    func run() async throws {
        let client = try connection.client()
        let regions: JSONValue
        do { regions = try await client.regions() } catch { throw Terminal.fail(error) }
        if json { print(regions.pretty); return }
        let rows = (regions["data"]?.array ?? []).map { region in ["id", "name", "status"].map { region[$0]?.text ?? "" } }
        print(Terminal.table(["ID", "NAME", "STATUS"], rows))
    }
}
