import ArgumentParser
import Claimgate
import ClaimgateSandbox
import Foundation
import Logging
import PrismaAPI
import PrismaEmulator
import Secrets

/// `claimgate prisma …`: Prisma's Management API getting-started guide in one command, with the
/// service token Claimgate is configured with (`PRISMA_SERVICE_TOKEN`), or against the built-in
/// emulator when none is set (sandbox mode, as `serve` does).
struct PrismaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prisma",
        abstract: "Talk to the Prisma Management API directly (PRISMA_SERVICE_TOKEN; the built-in emulator when unset).",
        subcommands: [CreateProject.self, Regions.self])

    /// A Management API client for the configured Prisma, with the emulator it may have started.
    struct Connection {
        let client: ManagementClient
        let token: Secret
        let emulator: PrismaEmulator?

        static func open(_ options: ConfigOptions) async throws -> Connection {
            var settings = try await options.loadSettings()
            var emulator: PrismaEmulator?
            if settings.prisma.isSandbox {
                // Only warnings and worse: the sandbox notice is said here, in one line.
                let logger = bootstrapLogging(level: .warning)
                do { emulator = try await Sandbox.start(for: &settings, logger: logger) } catch {
                    Terminal.error("claimgate prisma: cannot start the built-in emulator: \(error)")
                    throw ExitCode(1)
                }
                Terminal.error("sandbox: no PRISMA_SERVICE_TOKEN, so this talks to the built-in Prisma emulator (in memory: what it creates ends with this command)")
            }
            guard let token = settings.prisma.serviceToken else { throw ExitCode(78) }
            let client = ManagementClient(baseURL: settings.prisma.apiURL, transport: AsyncHTTPClientTransport(),
                                          userAgent: PrismaConnection.userAgent, createTimeout: .seconds(settings.prisma.createTimeoutSeconds))
            return Connection(client: client, token: token, emulator: emulator)
        }

        func close() async { await emulator?.stop() }
    }

    static func fail(_ error: any Error) -> ExitCode {
        if let prisma = error as? PrismaError {
            Terminal.error("claimgate prisma: \(prisma)")
        } else {
            Terminal.error("claimgate prisma: \(error)")
        }
        return ExitCode(1)
    }

    struct CreateProject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-project",
            abstract: "Create a Prisma Postgres project and print it with all its connection details.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Project name.") var name: String
        @Option(help: "Region id (see `claimgate prisma regions`).") var region: String = "us-east-1"

        func run() async throws {
            let connection = try await Connection.open(options)
            do {
                let created = try await connection.client.createProject(name: name, region: region, logicalId: nil, token: connection.token)
                print(PrismaCommand.describe(created))
                await connection.close()
            } catch {
                await connection.close()
                throw PrismaCommand.fail(error)
            }
        }
    }

    struct Regions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List Prisma Postgres regions.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let connection = try await Connection.open(options)
            do {
                let regions = try await connection.client.postgresRegions(token: connection.token)
                print(Terminal.table(["ID", "NAME", "STATUS"], regions.map { [$0.id, $0.name, $0.status] }))
                await connection.close()
            } catch {
                await connection.close()
                throw PrismaCommand.fail(error)
            }
        }
    }

    /// The project and every connection's details, as the getting-started guide's script prints them
    /// (the passwords are in the connection strings: Prisma shows them only at creation).
    static func describe(_ created: CreatedProject) -> String {
        var lines = [
            "Created project \(created.project.name)",
            "  id:         \(created.project.id)",
            "  workspace:  \(created.project.workspace.name) (\(created.project.workspace.id))",
            "  created at: \(created.project.createdAt)",
        ]
        guard let database = created.database else { return (lines + ["  (no database in the answer)"]).joined(separator: "\n") }
        lines += [
            "Database \(database.name)",
            "  id:         \(database.id)",
            "  status:     \(database.status)",
            "  region:     \(database.region.id)",
        ]
        for connection in database.connections {
            lines.append("Connection \(connection.name) (\(connection.kind), id \(connection.id))")
            for (label, endpoint) in [("direct", connection.endpoints.direct), ("pooled", connection.endpoints.pooled)] {
                guard let endpoint else { continue }
                lines.append("  \(label) host: \(endpoint.host):\(endpoint.port)")
                if let url = endpoint.connectionString { lines.append("  \(label) connection string: \(url.value)") }
            }
        }
        if let direct = database.directConnectionString {
            lines.append("")
            lines.append("DATABASE_URL=\"\((database.pooledConnectionString ?? direct).value)\"")
            if let pooled = database.pooledConnectionString, pooled != direct { lines.append("DIRECT_URL=\"\(direct.value)\"") }
        }
        return lines.joined(separator: "\n")
    }
}
