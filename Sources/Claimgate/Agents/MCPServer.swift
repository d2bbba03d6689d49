import JSONValues

/// The Model Context Protocol server (revision 2025-06-18, negotiating down to 2025-03-26 and
/// 2024-11-05), over any transport: it takes one JSON-RPC 2.0 message (or batch) as bytes and
/// answers the bytes to send back, or nothing for a notification.
///
/// Hand-written over the project's own JSON parser rather than modelcontextprotocol/swift-sdk
/// 0.12.1: the SDK is ~14,000 lines (OAuth client, sampling, elicitation, its own HTTP server
/// transports) and brings swift-system plus a branch-pinned swift-docc-plugin into the package
/// graph, for a server that needs `initialize`, `ping`, `tools/list` and `tools/call`. Its
/// transports also cannot sit behind Claimgate's libmicrohttpd router, which `POST /mcp` must.
///
/// Behaviour the tests hold it to: a request answers with a result or a JSON-RPC error with the
/// request's id; unknown methods `-32601`; text that is not JSON `-32700` (id `null`); a malformed
/// message `-32600`; bad `params` `-32602`; notifications and client responses get no reply; a
/// tool's own failure is a result with `isError: true`. Nothing a client sends ends the server.
public struct MCPServer: Sendable {
    /// Newest first: `initialize` echoes the client's version when it is one of these, else offers
    /// the newest (the client then decides whether it can speak it).
    public static let supportedVersions = ["2025-06-18", "2025-03-26", "2024-11-05"]

    let runner: MCPToolRunner

    public init(client: PartnerClient) {
        runner = MCPToolRunner(client: client)
    }

    /// What the server tells the model about itself at `initialize`.
    static let instructions = """
        Claimgate creates instant, temporary Prisma Postgres databases. Use create_database when the user needs a \
        Postgres database; put the connection string in the project's .env as DATABASE_URL, and always give the \
        user the claimUrl: opening it moves the database into their own Prisma account, otherwise it is deleted \
        when it expires. Connection strings are returned only once, at creation.
        """

    /// JSON-RPC 2.0 error codes.
    enum ErrorCode: Int {
        case parseError = -32700, invalidRequest = -32600, methodNotFound = -32601, invalidParams = -32602, internalError = -32603
    }

    /// Handles one message's bytes. `notify` sends a server notification (progress of a slow create)
    /// where the transport can carry one; returns nil when nothing is to be answered.
    public func handle(_ bytes: [UInt8], notify: @escaping @Sendable ([UInt8]) -> Void = { _ in }) async -> [UInt8]? {
        let message: JSONValue
        do { message = try JSONParser.parse(bytes) } catch {
            return Self.error(id: .null, .parseError, "Parse error: the message is not valid JSON.").canonical
        }
        return await handle(message: message, notify: notify)?.canonical
    }

    /// Handles a parsed message or batch (batches are answered as arrays, as 2025-03-26 clients may send them).
    func handle(message: JSONValue, notify: @escaping @Sendable ([UInt8]) -> Void) async -> JSONValue? {
        guard let batch = message.array else { return await handle(single: message, notify: notify) }
        guard !batch.isEmpty else { return Self.error(id: .null, .invalidRequest, "Invalid Request: an empty batch.") }
        var replies: [JSONValue] = []
        for item in batch { if let reply = await handle(single: item, notify: notify) { replies.append(reply) } }
        return replies.isEmpty ? nil : .array(replies)
    }

    /// Whether a parsed message needs an answer (a request), as the HTTP transport must know before
    /// choosing between `202 Accepted` and a JSON answer.
    static func containsRequest(_ message: JSONValue) -> Bool {
        if let batch = message.array { return batch.isEmpty || batch.contains(where: containsRequest) }
        guard let object = message.object else { return true }
        return object["id"] != nil || object["method"] == nil && object["result"] == nil && object["error"] == nil
    }

    private func handle(single message: JSONValue, notify: @escaping @Sendable ([UInt8]) -> Void) async -> JSONValue? {
        guard let object = message.object else {
            return Self.error(id: .null, .invalidRequest, "Invalid Request: a message must be a JSON object.")
        }
        let id = object["id"]
        let validID: Bool = switch id {
        case .string?: true
        case .number(let text)?: Int(text) != nil
        default: false
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return Self.error(id: validID ? id! : .null, .invalidRequest, "Invalid Request: jsonrpc must be \"2.0\".")
        }
        guard let method = object["method"]?.string else {
            // A response to a request of ours: this server sends none, so there is nothing to match.
            if id != nil, object["result"] != nil || object["error"] != nil { return nil }
            return Self.error(id: validID ? id! : .null, .invalidRequest, "Invalid Request: method is missing.")
        }
        guard let id else { return nil }  // a notification (initialized, cancelled, …): never answered
        guard validID else { return Self.error(id: .null, .invalidRequest, "Invalid Request: id must be a string or an integer.") }
        let params = object["params"] ?? .object([:])
        guard let parameters = params.object else { return Self.error(id: id, .invalidParams, "Invalid params: params must be an object.") }
        switch method {
        case "initialize":
            let requested = parameters["protocolVersion"]?.string
            guard requested != nil else { return Self.error(id: id, .invalidParams, "Invalid params: protocolVersion is required.") }
            let version = Self.supportedVersions.contains(requested!) ? requested! : Self.supportedVersions[0]
            return Self.result(id: id, [
                "protocolVersion": .string(version),
                "capabilities": .object(["tools": .object(["listChanged": .bool(false)])]),
                "serverInfo": .object(["name": .string("claimgate"), "title": .string("Claimgate"), "version": .string(ClaimgateVersion.current)]),
                "instructions": .string(Self.instructions),
            ])
        case "ping":
            return Self.result(id: id, [:])
        case "tools/list":
            return Self.result(id: id, ["tools": .array(MCPToolCatalog.tools.map(\.json))])
        case "tools/call":
            guard let name = parameters["name"]?.string else {
                return Self.error(id: id, .invalidParams, "Invalid params: name (the tool) is required.")
            }
            guard let tool = MCPToolCatalog.tool(named: name) else {
                return Self.error(id: id, .invalidParams, "Unknown tool: \(name). tools/list names the tools.")
            }
            let arguments = parameters["arguments"] ?? .object([:])
            guard let values = arguments.object ?? (arguments.isNull ? [:] : nil) else {
                return Self.error(id: id, .invalidParams, "Invalid params: arguments must be an object.")
            }
            let progressToken = parameters["_meta"]?["progressToken"]
            let result = await runner.run(tool, arguments: values, onWaiting: { elapsed in
                guard let progressToken, progressToken.string != nil || progressToken.integer != nil else { return }
                notify(JSONValue.object([
                    "jsonrpc": .string("2.0"), "method": .string("notifications/progress"),
                    "params": .object([
                        "progressToken": progressToken, "progress": .int(Int(elapsed.components.seconds)),
                        "message": .string("Prisma is still creating the database (\(elapsed.components.seconds) s)…"),
                    ]),
                ]).canonical)
            })
            return Self.result(id: id, result.json.object ?? [:])
        default:
            return Self.error(id: id, .methodNotFound, "Method not found: \(method).")
        }
    }

    static func result(id: JSONValue, _ result: [String: JSONValue]) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "result": .object(result)])
    }

    static func error(id: JSONValue, _ code: ErrorCode, _ message: String) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "error": .object(["code": .int(code.rawValue), "message": .string(message)])])
    }
}
