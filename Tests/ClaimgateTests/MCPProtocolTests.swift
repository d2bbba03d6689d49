import Claimgate
import Foundation
import Synchronization
import Testing

/// A partner API that answers from a script, one reply per call, and records the calls.
final class ScriptedPartnerAPI: PartnerTransport {
    private let state: Mutex<(replies: [PartnerReply], calls: [PartnerCall])>

    init(_ replies: [PartnerReply]) { state = Mutex((replies, [])) }

    var calls: [PartnerCall] { state.withLock { $0.calls } }

    func send(_ call: PartnerCall) async throws(PartnerClientError) -> PartnerReply {
        try state.withLock { state throws(PartnerClientError) in
            state.calls.append(call)
            guard !state.replies.isEmpty else { throw .unreachable("script exhausted") }
            return state.replies.removeFirst()
        }
    }

}

/// A scripted reply with a JSON body.
func reply(_ status: Int, _ body: String, headers: [String: String] = [:]) -> PartnerReply {
    PartnerReply(status: status, headers: headers, body: Array(body.utf8))
}

@Suite("The MCP server's JSON-RPC handling, in-process")
struct MCPProtocolTests {
    func answer(_ server: MCPServer, _ message: String) async throws -> Any? {
        guard let bytes = await server.handle(Array(message.utf8)) else { return nil }
        return try JSONSerialization.jsonObject(with: Data(bytes))
    }

    @Test("malformed messages, id types, batches and notifications are answered as JSON-RPC 2.0 says")
    func framing() async throws {
        let server = MCPServer(client: PartnerClient(transport: ScriptedPartnerAPI([])))
        let noVersion = try await answer(server, #"{"id":1,"method":"ping"}"#) as? [String: Any]
        #expect(noVersion?.at("error", "code") as? Int == -32600)
        #expect(noVersion?["id"] as? Int == 1)
        let badID = try await answer(server, #"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#) as? [String: Any]
        #expect(badID?.at("error", "code") as? Int == -32600)
        #expect(badID?["id"] is NSNull)
        let notObject = try await answer(server, "[1]") as? [[String: Any]]
        #expect(notObject?.first?.at("error", "code") as? Int == -32600)
        let empty = try await answer(server, "[]") as? [String: Any]
        #expect(empty?.at("error", "code") as? Int == -32600)
        let stringID = try await answer(server, #"{"jsonrpc":"2.0","id":"a-1","method":"ping"}"#) as? [String: Any]
        #expect(stringID?["id"] as? String == "a-1")
        #expect(stringID?["result"] as? [String: Any] != nil)
        let badParams = try await answer(server, #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":[1]}"#) as? [String: Any]
        #expect(badParams?.at("error", "code") as? Int == -32602)
        let batch = try await answer(server, #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"x"}]"#) as? [[String: Any]]
        #expect(batch?.count == 2)
        #expect(batch?.last?.at("error", "code") as? Int == -32601)
        #expect(try await answer(server, #"[{"jsonrpc":"2.0","method":"notifications/initialized"}]"#) == nil)
        #expect(try await answer(server, #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#) == nil)
        // A response to a request the server never sent is dropped, not answered.
        #expect(try await answer(server, #"{"jsonrpc":"2.0","id":9,"result":{}}"#) == nil)
    }

    @Test("a slow create is repeated with the same Idempotency-Key after Retry-After, with progress notifications for a progressToken")
    func slowCreateProgress() async throws {
        let provisioning = #"{"id":"cgdb_x","status":"provisioning"}"#
        let api = ScriptedPartnerAPI([
            reply(202, provisioning, headers: ["retry-after": "1"]),
            reply(201, #"{"id":"cgdb_x","status":"ready","region":"us-east-1","connectionString":"postgres://d","pooledConnectionString":"postgres://p","claimUrl":"http://c/claim/t","expiresAt":"2030-01-01T00:00:00.000Z"}"#),
        ])
        let server = MCPServer(client: PartnerClient(transport: api))
        let notifications = Mutex<[String]>([])
        let answered = await server.handle(Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_database","arguments":{"name":"n"},"_meta":{"progressToken":"p-1"}}}"#.utf8)) { bytes in
            notifications.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) }
        }
        let bytes = try #require(answered)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(result.at("result", "isError") as? Bool == false)
        let text = ((result.at("result", "content") as? [[String: Any]])?.first?["text"] as? String) ?? ""
        #expect(text.contains("DATABASE_URL=postgres://p") && text.contains("DIRECT_URL=postgres://d") && text.contains("http://c/claim/t"))
        let calls = api.calls
        #expect(calls.count == 2)
        #expect(calls[0].idempotencyKey != nil && calls[0].idempotencyKey == calls[1].idempotencyKey)
        let sent = notifications.withLock { $0 }
        #expect(sent.count == 1)
        #expect(sent.first?.contains(#""method":"notifications/progress""#) == true)
        #expect(sent.first?.contains(#""progressToken":"p-1""#) == true)
    }

    @Test("with no wait budget (POST /mcp) a 202 is answered at once with the key to repeat the call with")
    func noWaitBudget() async throws {
        let api = ScriptedPartnerAPI([reply(202, #"{"id":"cgdb_x","status":"provisioning"}"#, headers: ["retry-after": "5"])])
        let server = MCPServer(client: PartnerClient(transport: api, createWaitBudget: .zero))
        let got = try await answer(server, #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_database","arguments":{"idempotencyKey":"k-7"}}}"#) as? [String: Any]
        #expect(got?.at("result", "isError") as? Bool == false)
        #expect(got?.at("result", "structuredContent", "idempotencyKey") as? String == "k-7")
        #expect(got?.at("result", "structuredContent", "status") as? String == "provisioning")
        #expect(api.calls.count == 1)
    }

    @Test("an id is one path segment: a tool cannot reach another route through it")
    func pathEscaping() async throws {
        let api = ScriptedPartnerAPI([reply(404, #"{"code":"database-not-found","title":"Not Found","detail":"No database with this id.","status":404}"#)])
        let server = MCPServer(client: PartnerClient(transport: api))
        let got = try await answer(server, #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_database","arguments":{"id":"../regions"}}}"#) as? [String: Any]
        #expect(api.calls.first?.path == "/v1/databases/..%2Fregions")
        #expect(got?.at("result", "structuredContent", "code") as? String == "database-not-found")
    }
}
