import Foundation
import HTTPServer
import JSONValues

/// The service's surfaces for AI agents: `POST /mcp` (the MCP server over Streamable HTTP, JSON
/// answers, no sessions) and `GET /llms.txt` (a plain-text guide to the API).
///
/// `/mcp` sits behind the partner API's own authentication (the partner API key; `401` otherwise)
/// and runs its tools through `partnerRouter` — the service's router as it was before this route
/// was added — with the caller's `Authorization`, so a tool answers exactly what the API would.
struct AgentRoutes {
    let partnerRouter: Router
    let authenticator: PartnerAuthenticator
    let storageFaults: StorageFaults
    /// The public URL's origin (`https://claims.example.com`): the one browser origin allowed.
    let publicOrigin: String
    let llmsText: [UInt8]?

    func register(in router: inout Router) {
        let chain: [any HTTPMiddleware] = [PartnerErrorMiddleware(storageFaults: storageFaults), PartnerAuthentication(authenticator: authenticator)]
        router.post("/mcp", middleware: chain) { request in try await mcp(request) }
        if let llmsText {
            router.addImmediate("GET", "/llms.txt") { _ in
                HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "public, max-age=300"],
                             body: llmsText)
            }
        }
    }

    func mcp(_ request: HTTPRequest) async throws -> HTTPResponse {
        // Streamable HTTP: servers must validate Origin (DNS rebinding). Agents send none; a browser
        // page may call only from the service's own origin.
        if let origin = request.headers["Origin"], origin != "null", origin.lowercased() != publicOrigin.lowercased() {
            throw ProblemDetails(status: 403, code: "origin-not-allowed", title: "Forbidden",
                                 detail: "POST /mcp accepts browser calls from \(publicOrigin) only.")
        }
        if let version = request.headers["MCP-Protocol-Version"], !MCPServer.supportedVersions.contains(version) {
            throw ProblemDetails(status: 400, code: "unsupported-protocol-version", title: "Bad Request",
                                 detail: "MCP-Protocol-Version must be one of \(MCPServer.supportedVersions.joined(separator: ", ")).")
        }
        let server = MCPServer(client: PartnerClient(
            transport: RouterPartnerTransport(
                router: partnerRouter, authorization: request.headers["Authorization"], requestID: request.requestID, logger: request.logger),
            // One request, one deadline (the handler timeout): a slow create answers "still provisioning"
            // with its idempotency key at once, and the agent repeats the call.
            createWaitBudget: .zero))
        let message: JSONValue
        do { message = try JSONParser.parse(request.body) } catch {
            return answer(MCPServer.error(id: .null, .parseError, "Parse error: the body is not valid JSON.").canonical, status: 400)
        }
        let needsAnswer = MCPServer.containsRequest(message)
        let reply = await server.handle(message: message, notify: { _ in })
        guard needsAnswer, let reply else { return HTTPResponse(status: 202, headers: ["Cache-Control": "no-store"]) }
        return answer(reply.canonical, status: 200)
    }

    private func answer(_ body: [UInt8], status: Int) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"], body: body)
    }
}
