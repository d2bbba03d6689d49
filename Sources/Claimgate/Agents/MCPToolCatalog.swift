import JSONValues

/// The MCP tools Claimgate offers, as `tools/list` shows them: a name, a description written for
/// a model (when to use the tool, what comes back, what to do with it), a JSON Schema
/// `inputSchema` and hints about side effects.
enum MCPToolCatalog {
    struct Tool {
        let name: String
        let title: String
        let description: String
        let properties: [String: JSONValue]
        let required: [String]
        let readOnly: Bool
        let destructive: Bool
        let idempotent: Bool

        var json: JSONValue {
            .object([
                "name": .string(name), "title": .string(title), "description": .string(description),
                "inputSchema": .object([
                    "type": .string("object"), "properties": .object(properties),
                    "required": .array(required.map { .string($0) }), "additionalProperties": .bool(false),
                ]),
                "annotations": .object([
                    "title": .string(title), "readOnlyHint": .bool(readOnly), "destructiveHint": .bool(destructive),
                    "idempotentHint": .bool(idempotent), "openWorldHint": .bool(true),
                ]),
            ])
        }
    }

    static func string(_ description: String, pattern: String? = nil, maxLength: Int? = nil, enumeration: [String]? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string("string"), "description": .string(description)]
        if let maxLength { schema["minLength"] = .int(1); schema["maxLength"] = .int(maxLength) }
        if let pattern { schema["pattern"] = .string(pattern) }
        if let enumeration { schema["enum"] = .array(enumeration.map { .string($0) }) }
        return .object(schema)
    }

    static func integer(_ description: String, minimum: Int, maximum: Int? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string("integer"), "description": .string(description), "minimum": .int(minimum)]
        if let maximum { schema["maximum"] = .int(maximum) }
        return .object(schema)
    }

    static let databaseID = string("The database id Claimgate returned (cgdb_…).", maxLength: 200)

    static let tools: [Tool] = [
        Tool(
            name: "create_database", title: "Create a Postgres database",
            description: """
                Creates a new Prisma Postgres database in seconds and returns its connection strings \
                (connectionString is direct; pooledConnectionString, when present, is for serverless/pooled use), \
                its expiry and a claimUrl. The database is temporary: it is deleted at expiresAt unless the user \
                claims it. ALWAYS give the claimUrl to the user and tell them to open it to keep the database in \
                their own Prisma account. Connection strings are shown only in this answer: store them (e.g. in .env \
                as DATABASE_URL) right away. To retry safely, pass the same idempotencyKey; a retry with the same key \
                never creates a second database. If the answer says it is still provisioning, call this tool again \
                with the same idempotencyKey and arguments after a few seconds.
                """,
            properties: [
                "name": string("A short name for the database, e.g. the project it is for.", maxLength: 100),
                "region": string("Region id, e.g. us-east-1 (call list_regions for the choices). Default: the service's default region.", maxLength: 100),
                "ttlSeconds": integer("Seconds until an unclaimed database is deleted (at least 60). Default: 24 hours.", minimum: 60),
                "reference": string("Your own reference for the database (e.g. a user or task id), to find it later with list_databases.", maxLength: 200),
                "metadata": .object(["type": .string("object"), "description": .string("Free-form JSON object stored with the database (at most 4 KB).")]),
                "onClaim": string("What happens to these credentials when the user claims: keep (default), rotate or revoke.",
                                  enumeration: ["keep", "rotate", "revoke"]),
                "idempotencyKey": string("Optional key that makes retries safe: the same key and arguments return the same database.", maxLength: 255),
            ],
            required: [], readOnly: false, destructive: false, idempotent: false),
        Tool(
            name: "get_database", title: "Get a database",
            description: """
                Returns one database's current state: status (provisioning, ready, claimed, expired, deleted, failed), \
                name, region, reference, metadata, expiresAt, claimedAt. It never returns connection strings or the \
                claim URL (those are shown only once, at creation; use new_claim_link for a fresh link).
                """,
            properties: ["id": databaseID], required: ["id"], readOnly: true, destructive: false, idempotent: true),
        Tool(
            name: "list_databases", title: "List databases",
            description: """
                Lists databases, oldest first, optionally filtered by status or reference. Returns {data, hasMore, \
                nextCursor}; pass nextCursor as cursor for the next page.
                """,
            properties: [
                "status": string("Only databases in this status.", enumeration: ["provisioning", "ready", "claimed", "expired", "deleted", "failed"]),
                "reference": string("Only databases created with this reference.", maxLength: 200),
                "limit": integer("Page size, 1 to 100 (default 20).", minimum: 1, maximum: 100),
                "cursor": string("nextCursor of the previous page.", maxLength: 500),
            ],
            required: [], readOnly: true, destructive: false, idempotent: true),
        Tool(
            name: "list_regions", title: "List regions",
            description: "Lists the regions a database can be created in (id, name, status: available or unavailable). Use an available id as create_database's region.",
            properties: [:], required: [], readOnly: true, destructive: false, idempotent: true),
        Tool(
            name: "new_claim_link", title: "Issue a new claim link",
            description: """
                Issues a new claim URL for an unclaimed database and revokes the previous one. Use it when the user \
                lost the link. Give the new claimUrl to the user; it works until the database expires.
                """,
            properties: ["id": databaseID], required: ["id"], readOnly: false, destructive: false, idempotent: false),
        Tool(
            name: "extend_database", title: "Extend a database's life",
            description: """
                Makes an unclaimed, ready database expire ttlSeconds from now (within the service's maximum life \
                since creation). Returns the database with its new expiresAt.
                """,
            properties: ["id": databaseID, "ttlSeconds": integer("Seconds from now until expiry (at least 60).", minimum: 60)],
            required: ["id", "ttlSeconds"], readOnly: false, destructive: false, idempotent: true),
        Tool(
            name: "delete_database", title: "Delete a database",
            description: """
                Deletes an unclaimed database and all its data at once (status becomes deleted). A claimed database \
                belongs to the user and cannot be deleted. Only do this when the user asks for it.
                """,
            properties: ["id": databaseID], required: ["id"], readOnly: false, destructive: true, idempotent: true),
    ]

    static func tool(named name: String) -> Tool? { tools.first { $0.name == name } }
}
