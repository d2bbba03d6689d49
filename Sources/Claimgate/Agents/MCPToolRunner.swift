import Secrets
import JSONValues

/// Runs a tool call against the partner API through a ``PartnerClient``, and renders the answer as
/// an MCP tool result: a text block for the model (an instruction first where there is one to give,
/// then the document) and the document itself as `structuredContent`.
///
/// Every failure of the call — a partner API problem, a bad argument, an unreachable service — is a
/// result with `isError: true` carrying the problem's `code` and `detail`, so the model can read it
/// and correct itself (MCP's "tool execution error"); nothing here ends the session.
struct MCPToolRunner: Sendable {
    let client: PartnerClient

    /// A tool result.
    struct Result {
        var text: String
        var structured: JSONValue
        var isError: Bool

        var json: JSONValue {
            var result: [String: JSONValue] = [
                "content": .array([.object(["type": .string("text"), "text": .string(text)])]),
                "isError": .bool(isError),
            ]
            if structured.object != nil { result["structuredContent"] = structured }
            return .object(result)
        }

        static func failure(code: String, detail: String, status: Int? = nil) -> Result {
            var document: [String: JSONValue] = ["code": .string(code), "detail": .string(detail)]
            if let status { document["status"] = .int(status) }
            return Result(text: "Error \(code): \(detail)", structured: .object(document), isError: true)
        }
    }

    /// A tool argument that does not fit the tool's input schema.
    struct ArgumentError: Error {
        let detail: String
    }

    /// Runs `tool` with `arguments`; `onWaiting` hears of each wait of a slow create.
    func run(_ tool: MCPToolCatalog.Tool, arguments: [String: JSONValue],
             onWaiting: @escaping @Sendable (Duration) -> Void = { _ in }) async -> Result {
        do {
            if let unknown = arguments.keys.sorted().first(where: { tool.properties[$0] == nil }) {
                let known = tool.properties.keys.sorted().joined(separator: ", ")
                throw ArgumentError(detail: "\(unknown) is not an argument of \(tool.name)\(known.isEmpty ? " (it takes none)" : " (arguments: \(known))").")
            }
            let arguments = Arguments(values: arguments)
            switch tool.name {
            case "create_database": return try await create(arguments, onWaiting: onWaiting)
            case "get_database": return document(try await client.database(try arguments.string("id", required: true)!))
            case "list_databases":
                return document(try await client.databases(
                    status: try arguments.string("status"), reference: try arguments.string("reference"),
                    limit: try arguments.integer("limit"), cursor: try arguments.string("cursor")))
            case "list_regions": return document(try await client.regions())
            case "new_claim_link":
                let link = try await client.newClaimURL(try arguments.string("id", required: true)!)
                return document(link, instruction: "Give the user this new claim URL (the previous one no longer works): \(link["claimUrl"]?.text ?? "")")
            case "extend_database":
                return document(try await client.extend(try arguments.string("id", required: true)!,
                                                        ttlSeconds: try arguments.integer("ttlSeconds", required: true)!))
            case "delete_database": return document(try await client.delete(try arguments.string("id", required: true)!))
            default: return .failure(code: "unknown-tool", detail: "No tool named \(tool.name).")
            }
        } catch let error as ArgumentError {
            return .failure(code: "invalid-arguments", detail: error.detail)
        } catch let error as PartnerClientError {
            if case .problem(let problem) = error { return .failure(code: problem.code, detail: error.detail, status: problem.status) }
            return .failure(code: error.code, detail: error.detail)
        } catch {
            return .failure(code: "internal", detail: "The tool failed unexpectedly.")
        }
    }

    private func create(_ arguments: Arguments, onWaiting: @escaping @Sendable (Duration) -> Void) async throws -> Result {
        var body: [String: JSONValue] = [:]
        for name in ["name", "region", "reference", "onClaim"] { if let value = try arguments.string(name) { body[name] = .string(value) } }
        if let ttl = try arguments.integer("ttlSeconds") { body["ttlSeconds"] = .int(ttl) }
        if let metadata = arguments.values["metadata"], !metadata.isNull {
            guard metadata.object != nil else { throw ArgumentError(detail: "metadata must be a JSON object.") }
            body["metadata"] = metadata
        }
        let key = try arguments.string("idempotencyKey") ?? "mcp-" + SecureRandom.idBody()
        switch try await client.createDatabase(body, idempotencyKey: key, onWaiting: { _, elapsed in onWaiting(elapsed) }) {
        case .ready(let database):
            let pooled = database["pooledConnectionString"]?.string
            let direct = database["connectionString"]?.string
            var lines = [
                "Database \(database["id"]?.text ?? "") is \(database["status"]?.text ?? "ready") in \(database["region"]?.text ?? "").",
                "Give the user this claim URL so they can keep the database in their own Prisma account; unclaimed, it is deleted at \(database["expiresAt"]?.text ?? "its expiry"): \(database["claimUrl"]?.text ?? "")",
            ]
            if let url = pooled ?? direct { lines.append("DATABASE_URL=\(url)") }
            if let direct, pooled != nil, direct != pooled { lines.append("DIRECT_URL=\(direct)") }
            lines.append("The connection strings are shown only now: store them (e.g. in .env).")
            return document(database, instruction: lines.joined(separator: "\n"))
        case .provisioning(let database, let key):
            var structured = database.object ?? [:]
            structured["idempotencyKey"] = .string(key)
            return document(.object(structured), instruction: """
                Database \(database["id"]?.text ?? "") is still being created at Prisma. Call create_database again in a few \
                seconds with the same arguments and idempotencyKey "\(key)" to get its connection strings and claim URL \
                (this creates no second database).
                """)
        }
    }

    private func document(_ value: JSONValue, instruction: String? = nil) -> Result {
        Result(text: (instruction.map { $0 + "\n\n" } ?? "") + value.pretty, structured: value, isError: false)
    }

    /// Typed reads of the arguments object.
    struct Arguments {
        let values: [String: JSONValue]

        func string(_ name: String, required: Bool = false) throws(ArgumentError) -> String? {
            guard let value = values[name], !value.isNull else {
                if required { throw ArgumentError(detail: "\(name) is required.") }
                return nil
            }
            guard let text = value.string, !text.isEmpty else { throw ArgumentError(detail: "\(name) must be a non-empty string.") }
            return text
        }

        func integer(_ name: String, required: Bool = false) throws(ArgumentError) -> Int? {
            guard let value = values[name], !value.isNull else {
                if required { throw ArgumentError(detail: "\(name) is required.") }
                return nil
            }
            guard let number = value.integer else { throw ArgumentError(detail: "\(name) must be an integer.") }
            return number
        }
    }
}
