import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Testing

/// The seven tools every MCP surface lists.
let mcpToolNames: Set<String> = [
    "create_database", "get_database", "list_databases", "list_regions", "new_claim_link", "extend_database", "delete_database",
]

@Suite("MCP over stdio: claimgate mcp against a running sandbox Claimgate", .serialized)
struct MCPStdioTests {
    @Test("initialize, tools/list, create_database (in Claimgate and at the emulator), tool and protocol errors; nothing ends the session")
    func session() async throws {
        try await withApp { app in
            let client = try MCPStdioClient.launch(
                ["mcp", "--url", "http://127.0.0.1:\(app.application.server.port)"],
                environment: ["CLAIMGATE_API_KEY": Application.sandboxAPIKey])
            let initialize = try await client.request(1, "initialize",
                #"{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"claimgate-tests","version":"1"}}"#)
            #expect(initialize.at("result", "protocolVersion") as? String == "2025-06-18")
            #expect(initialize.at("result", "serverInfo", "name") as? String == "claimgate")
            #expect(initialize.at("result", "capabilities", "tools") != nil)
            client.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)

            let list = try await client.request(2, "tools/list")
            let tools = try #require(list.at("result", "tools") as? [[String: Any]])
            #expect(Set(tools.compactMap { $0["name"] as? String }) == mcpToolNames)
            for tool in tools {
                #expect(tool.at("inputSchema", "type") as? String == "object", "\(tool["name"] ?? "")")
                #expect(((tool["description"] as? String) ?? "").count > 40, "\(tool["name"] ?? "")")
            }

            let created = try await client.request(3, "tools/call",
                #"{"name":"create_database","arguments":{"name":"from-mcp","reference":"agent-1","metadata":{"task":7}}}"#)
            #expect(created.at("result", "isError") as? Bool == false)
            let database = try #require(created.at("result", "structuredContent") as? [String: Any])
            let id = try #require(database["id"] as? String)
            let claimURL = try #require(database["claimUrl"] as? String)
            let connection = try #require(database["connectionString"] as? String)
            let text = ((created.at("result", "content") as? [[String: Any]])?.first?["text"] as? String) ?? ""
            #expect(text.contains("Give the user this claim URL"))
            #expect(text.contains(claimURL))
            // In Claimgate: the database is recorded, ready, with the agent's reference.
            let read = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey).json()
            #expect(read["status"] as? String == "ready")
            #expect(read["reference"] as? String == "agent-1")
            // At the emulator (Prisma): the project exists and the credentials work.
            let projectID = try #require(database["projectId"] as? String)
            #expect(app.emulator.projects.map(\.id) == [projectID])
            #expect(app.emulator.acceptsConnectionString(connection))

            let badRegion = try await client.request(4, "tools/call", #"{"name":"create_database","arguments":{"region":"mars-1"}}"#)
            #expect(badRegion.at("result", "isError") as? Bool == true)
            #expect(badRegion.at("result", "structuredContent", "code") as? String == "validation-error")
            #expect((badRegion.at("result", "structuredContent", "detail") as? String)?.contains("region") == true)
            #expect(app.emulator.projects.count == 1)

            client.send("this is not JSON")
            let parseError = try await client.message { ($0.at("error", "code") as? Int) == -32700 }
            #expect(parseError["id"] is NSNull)
            let unknownMethod = try await client.request(5, "resources/nope")
            #expect(unknownMethod.at("error", "code") as? Int == -32601)
            let missing = try await client.request(6, "tools/call", #"{"name":"get_database","arguments":{"id":"cgdb_nothere000000000000000000"}}"#)
            #expect(missing.at("result", "isError") as? Bool == true)
            #expect(missing.at("result", "structuredContent", "code") as? String == "database-not-found")
            let unknownTool = try await client.request(7, "tools/call", #"{"name":"drop_everything","arguments":{}}"#)
            #expect(unknownTool.at("error", "code") as? Int == -32602)
            let badArgument = try await client.request(8, "tools/call", #"{"name":"extend_database","arguments":{"id":"\#(id)","ttlSeconds":"soon"}}"#)
            #expect(badArgument.at("result", "structuredContent", "code") as? String == "invalid-arguments")
            let ping = try await client.request(9, "ping")
            #expect(ping["result"] as? [String: Any] != nil)

            let status = try await client.finish()
            #expect(status == 0)
            // Every request answered once; the notification and nothing else unasked for.
            let messages = client.messages()
            #expect(messages.count == 10, "\(messages)")
            #expect(Set(messages.compactMap { $0["id"] as? Int }) == Set(1...9))
        }
    }

    @Test("initialize negotiates: a known older revision is echoed, an unknown one is answered with the newest")
    func negotiation() async throws {
        try await withApp { app in
            let client = try MCPStdioClient.launch(
                ["mcp", "--url", "http://127.0.0.1:\(app.application.server.port)", "--api-key", Application.sandboxAPIKey], environment: [:])
            let old = try await client.request(1, "initialize", #"{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"t","version":"1"}}"#)
            #expect(old.at("result", "protocolVersion") as? String == "2024-11-05")
            let future = try await client.request(2, "initialize", #"{"protocolVersion":"2099-01-01","capabilities":{},"clientInfo":{"name":"t","version":"1"}}"#)
            #expect(future.at("result", "protocolVersion") as? String == "2025-06-18")
            let noVersion = try await client.request(3, "initialize", #"{"capabilities":{}}"#)
            #expect(noVersion.at("error", "code") as? Int == -32602)
            #expect(try await client.finish() == 0)
        }
    }
}

@Suite("MCP over HTTP: POST /mcp on the service")
struct MCPHTTPTests {
    func post(_ app: RunningApp, _ body: String, headers: [String: String] = sandboxKey) async throws -> TestClient.Reply {
        try await app.client.send("POST", "/mcp", headers: headers.merging([
            "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        ]) { $1 }, body: Data(body.utf8))
    }

    @Test("the same tools with the partner API key; 401 without it; notifications 202; JSON-RPC and transport errors; answers conform to the OpenAPI")
    func endpoint() async throws {
        try await withApp { app in
            let recorder = ConformanceRecorder()
            func record(_ reply: TestClient.Reply) throws {
                try recorder.record(method: "POST", template: "/mcp", status: reply.status, body: reply.body)
            }
            let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
            let anonymous = try await post(app, ping, headers: [:])
            #expect(anonymous.status == 401)
            #expect(try anonymous.json()["code"] as? String == "unauthorized")
            try record(anonymous)
            let wrongKey = try await post(app, ping, headers: ["Authorization": "Bearer not-the-key-0000000000"])
            #expect(wrongKey.status == 401)

            let initialize = try await post(app, #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
            #expect(initialize.status == 200)
            #expect(initialize.header("Content-Type") == "application/json")
            #expect(try initialize.json().at("result", "protocolVersion") as? String == "2025-03-26")
            try record(initialize)
            let notification = try await post(app, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            #expect(notification.status == 202)
            #expect(notification.body.isEmpty)
            try record(notification)

            let versioned = sandboxKey.merging(["MCP-Protocol-Version": "2025-06-18"]) { $1 }
            let list = try await post(app, #"{"jsonrpc":"2.0","id":"list","method":"tools/list"}"#, headers: versioned)
            let tools = try #require(try list.json().at("result", "tools") as? [[String: Any]])
            #expect(Set(tools.compactMap { $0["name"] as? String }) == mcpToolNames)
            #expect(try list.json()["id"] as? String == "list")
            try record(list)

            let create = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_database","arguments":{"name":"over-http","reference":"remote-agent","idempotencyKey":"agent-key-1"}}}"#
            let created = try await post(app, create, headers: versioned.merging(["X-Request-Id": "mcp-create-1"]) { $1 })
            #expect(created.status == 200)
            // The in-process partner call is logged under the /mcp request's id, by route pattern.
            #expect(app.logs.lines.contains {
                $0.contains(#""msg":"partner call via mcp""#) && $0.contains(#""request_id":"mcp-create-1""#)
                    && $0.contains(#""route":"/v1/databases""#) && $0.contains(#""status":"201""#)
            })
            try record(created)
            let result = try created.json()
            #expect(result.at("result", "isError") as? Bool == false)
            let id = try #require(result.at("result", "structuredContent", "id") as? String)
            let connection = try #require(result.at("result", "structuredContent", "connectionString") as? String)
            #expect((result.at("result", "structuredContent", "claimUrl") as? String)?.contains("/claim/") == true)
            let read = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey).json()
            #expect(read["status"] as? String == "ready")
            #expect(read["reference"] as? String == "remote-agent")
            #expect(!app.logs.lines.joined().contains(connection))  // no secret in any log line
            let projectID = try #require(read["projectId"] as? String)
            #expect(app.emulator.projects.map(\.id) == [projectID])
            #expect(app.emulator.acceptsConnectionString(connection))
            // A retry with the same idempotency key is the same database, not a second one.
            let retried = try await post(app, create, headers: versioned).json()
            #expect(retried.at("result", "structuredContent", "id") as? String == id)
            #expect(app.emulator.projects.count == 1)

            let badRegion = try await post(app, #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"create_database","arguments":{"region":"mars-1"}}}"#)
            #expect(badRegion.status == 200)
            #expect(try badRegion.json().at("result", "isError") as? Bool == true)
            #expect(try badRegion.json().at("result", "structuredContent", "code") as? String == "validation-error")
            try record(badRegion)
            let unknown = try await post(app, #"{"jsonrpc":"2.0","id":4,"method":"prompts/list"}"#)
            #expect(try unknown.json().at("error", "code") as? Int == -32601)
            try record(unknown)
            let notJSON = try await post(app, "{")
            #expect(notJSON.status == 400)
            #expect(try notJSON.json().at("error", "code") as? Int == -32700)
            try record(notJSON)

            let badVersion = try await post(app, ping, headers: sandboxKey.merging(["MCP-Protocol-Version": "1900-01-01"]) { $1 })
            #expect(badVersion.status == 400)
            #expect(try badVersion.json()["code"] as? String == "unsupported-protocol-version")
            let foreign = try await post(app, ping, headers: sandboxKey.merging(["Origin": "https://evil.example"]) { $1 })
            #expect(foreign.status == 403)
            try record(foreign)
            let sameOrigin = try await post(app, ping, headers: sandboxKey.merging(["Origin": app.application.settings.publicURL]) { $1 })
            #expect(sameOrigin.status == 200)
            #expect(try await app.client.get("/mcp", headers: sandboxKey).status == 405)

            let (status, output) = try await recorder.validate(against: APIConformanceTests.spec)
            #expect(status == 0, "\(output)")
            #expect(output.contains("\(recorder.count) passed, 0 failed"), "\(output)")
        }
    }
}
