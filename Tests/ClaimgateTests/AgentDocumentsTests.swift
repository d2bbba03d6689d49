import Claimgate
import Foundation
import PrismaAPI
import Secrets
import TestSupport
import Testing

/// Every operation of the OpenAPI document as `METHOD /path`.
func openAPIOperations() throws -> [(method: String, path: String)] {
    let data = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("openapi/claimgate.json"))
    let paths = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["paths"] as? [String: [String: Any]])
    return paths.flatMap { path, operations in
        operations.keys.filter { $0 != "parameters" }.map { (method: $0.uppercased(), path: path) }
    }.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
}

@Suite("Documents for developers and agents: the Postman collection and llms.txt")
struct AgentDocumentsTests {
    @Test("the committed Postman collection is what scripts/postman-collection generates from the OpenAPI document")
    func collectionIsFresh() async throws {
        let output = TestPaths.temporaryDirectory().appendingPathComponent("collection.json")
        let (status, printed) = try await TestProcess.run([
            "python3", TestPaths.packageRoot.appendingPathComponent("scripts/postman-collection").path, "--output", output.path,
        ])
        #expect(status == 0, "\(printed)")
        let generated = try Data(contentsOf: output)
        let committed = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("openapi/claimgate.postman_collection.json"))
        #expect(generated == committed, "openapi/claimgate.postman_collection.json is stale: run scripts/postman-collection")
    }

    @Test("the collection is v2.1 with {{baseUrl}}, {{apiKey}}, one request per operation, and the emulator's OAuth2 code flow with PKCE")
    func collectionShape() throws {
        let data = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("openapi/claimgate.postman_collection.json"))
        let collection = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(collection.at("info", "schema") as? String == "https://schema.getpostman.com/json/collection/v2.1.0/collection.json")
        let variables = (collection["variable"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
        #expect(variables.contains("baseUrl") && variables.contains("apiKey"))
        #expect(((collection.at("auth", "bearer") as? [[String: Any]])?.first?["value"] as? String) == "{{apiKey}}")
        let folders = try #require(collection["item"] as? [[String: Any]])
        let oauthFolder = try #require(folders.first { ($0["name"] as? String)?.contains("OAuth2") == true })
        let requests = folders.filter { $0["name"] as? String != oauthFolder["name"] as? String }
            .flatMap { ($0["item"] as? [[String: Any]]) ?? [] }
            .compactMap { item -> String? in
                guard let request = item["request"] as? [String: Any], let method = request["method"] as? String,
                      let raw = request.at("url", "raw") as? String, raw.hasPrefix("{{baseUrl}}") else { return nil }
                let path = raw.dropFirst("{{baseUrl}}".count).split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                return "\(method) /" + path.joined(separator: "/")
            }
        #expect(requests.sorted() == (try openAPIOperations()).map { "\($0.method) \($0.path)" }.sorted())
        let oauth = Dictionary(uniqueKeysWithValues: ((oauthFolder.at("auth", "oauth2") as? [[String: Any]]) ?? []).compactMap { entry in
            (entry["key"] as? String).map { ($0, "\(entry["value"] ?? "")") }
        })
        #expect(oauth["grant_type"] == "authorization_code_with_pkce")
        #expect(oauth["challengeAlgorithm"] == "S256")
        #expect(oauth["authUrl"] == "{{emulatorUrl}}/authorize")
        #expect(oauth["accessTokenUrl"] == "{{emulatorUrl}}/token")
        #expect(oauth["clientId"] == "{{oauthClientId}}" && oauth["clientSecret"] == "{{oauthClientSecret}}")
        #expect(oauth["redirect_uri"] == "{{oauthRedirectUri}}")
        #expect(oauth["scope"] == "workspace:admin offline_access")
    }

    @Test("GET /llms.txt is plain text that names every operation of the OpenAPI document and the MCP tools")
    func llmsText() async throws {
        try await withApp { app in
            let reply = try await app.client.get("/llms.txt")
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "text/plain; charset=utf-8")
            let text = reply.text
            #expect(text.hasPrefix("# Claimgate\n"))
            for operation in try openAPIOperations() {
                #expect(text.contains("\(operation.method) \(operation.path)") || text.contains("\(operation.method) \(operation.path):"),
                        "llms.txt does not mention \(operation.method) \(operation.path)")
            }
            for tool in mcpToolNames { #expect(text.contains(tool), "\(tool)") }
            for topic in ["claimUrl", "Idempotency-Key", "problem+json"] { #expect(text.contains(topic), "\(topic)") }
        }
    }
}

@Suite("claimgate emulator --api-clients: Prisma-style OAuth from Postman, Insomnia and Yaak")
struct EmulatorAPIClientTests {
    @Test("their callback URLs are registered; the code flow with PKCE and Basic client authentication completes for each")
    func codeFlow() async throws {
        let port = try freePort()
        let run = try ClaimgateProcess.launch(["emulator", "--port", "\(port)", "--api-clients"], environment: [:])
        let client = TestClient(port: port)
        var up = false
        let deadline = ContinuousClock.now + .seconds(15)
        while !up && ContinuousClock.now < deadline {
            up = (try? await client.get("/v1/regions/postgres", headers: ["Authorization": "Bearer sandbox-service-token"]))?.status == 200
            if !up { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(up)
        func escape(_ value: String) -> String {
            value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
        }
        for callback in ["https://oauth.pstmn.io/v1/callback", "https://app.insomnia.rest/oauth/redirect", "https://devnull.yaak.app/callback"] {
            let verifier = PKCE.makeVerifier()
            let parameters = [
                ("client_id", "sandbox-client"), ("redirect_uri", callback), ("response_type", "code"), ("state", "st-\(UUID().uuidString)"),
                ("scope", "workspace:admin offline_access"), ("code_challenge", PKCE.challenge(for: verifier.value)),
                ("code_challenge_method", "S256"),
            ]
            let query = parameters.map { "\($0.0)=\(escape($0.1))" }.joined(separator: "&")
            #expect(try await client.get("/authorize?" + query).status == 200, "\(callback)")
            let form = query + "&account=cmsandboxada00000000000001%2Fcmsandboxadaws000000000001&decision=approve"
            let approved = try await client.send("POST", "/authorize", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data(form.utf8))
            #expect(approved.status == 302)
            let location = try #require(approved.header("Location"))
            #expect(location.hasPrefix(callback + "?"))
            let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
            let basic = Data("sandbox-client:sandbox-client-secret".utf8).base64EncodedString()
            let token = try await client.send("POST", "/token", headers: [
                "Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic \(basic)",
            ], body: Data("grant_type=authorization_code&code=\(escape(code))&redirect_uri=\(escape(callback))&code_verifier=\(escape(verifier.value))".utf8))
            #expect(token.status == 200, "\(token.text)")
            let accessToken = try #require(try token.json()["access_token"] as? String)
            #expect(try await client.get("/v1/me", headers: ["Authorization": "Bearer \(accessToken)"]).status == 200)
        }
        // A callback nobody registered is still refused.
        let foreign = "client_id=sandbox-client&redirect_uri=\(escape("https://evil.example/cb"))&response_type=code&state=s&code_challenge=x&code_challenge_method=S256&scope=workspace%3Aadmin"
        #expect(try await client.get("/authorize?" + foreign).status == 400)
        kill(run.process.processIdentifier, SIGTERM)
        #expect(try await run.finish().status == 0)
    }
}
