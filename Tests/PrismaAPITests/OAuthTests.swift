import Foundation
import PrismaAPI
import PrismaEmulator
import Secrets
import Testing

@Suite("OAuth client against the emulated auth server")
struct OAuthTests {
    @Test("code + PKCE exchange gives a 1-hour bearer token and a refresh token")
    func codeExchange() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let verifier = PKCE.makeVerifier()
        #expect(verifier.value.count == 43 && PKCE.isWellFormed(verifier.value))
        let redirect = try await h.authorize(verifier: verifier, state: "s-123")
        #expect(redirect["state"] == "s-123")
        let code = try #require(redirect["code"])
        let tokens = try await h.oauth.exchangeCode(Secret(code), codeVerifier: verifier, redirectURI: h.redirectURI)
        #expect(tokens.tokenType == "Bearer" && tokens.expiresIn == 3600)
        #expect(tokens.refreshToken != nil)
        // JWT-shaped with a workspace_id claim, like Prisma's.
        let parts = tokens.accessToken.value.split(separator: ".")
        #expect(parts.count == 3)
        var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let claims = try JSONSerialization.jsonObject(with: Data(base64Encoded: payload)!) as! [String: Any]
        #expect(claims["workspace_id"] as? String == h.emulator.configuration.users[0].workspaces[0].id)
        #expect(h.emulator.callCount("POST /token") == 1)
        // The code is single-use; replaying it also revokes the tokens it produced.
        do {
            _ = try await h.oauth.exchangeCode(Secret(code), codeVerifier: verifier, redirectURI: h.redirectURI)
            Issue.record("code reused")
        } catch {
            #expect(error.kind == .oauth && error.oauthError == "invalid_grant" && error.status == 400)
        }
        await #expect(throws: PrismaError.self) { try await h.management.me(token: tokens.accessToken) }
    }

    @Test("wrong verifier, wrong redirect URI, expired code and bad client secret are refused", arguments: ["verifier", "redirect", "expired", "client"])
    func exchangeFailures(_ defect: String) async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let verifier = PKCE.makeVerifier()
        let code = Secret(try #require(try await h.authorize(verifier: verifier)["code"]))
        var oauth = h.oauth
        var usedVerifier = verifier
        var redirect = h.redirectURI
        switch defect {
        case "verifier": usedVerifier = PKCE.makeVerifier()
        case "redirect": redirect = "http://localhost:9999/other"
        case "expired": h.emulator.advanceClock(by: .seconds(120))
        default:
            oauth = OAuthClient(authURL: h.oauth.authURL, clientID: h.oauth.clientID, clientSecret: "wrong",
                                transport: AsyncHTTPClientTransport(), userAgent: "t")
        }
        do {
            _ = try await oauth.exchangeCode(code, codeVerifier: usedVerifier, redirectURI: redirect)
            Issue.record("\(defect) accepted")
        } catch {
            #expect(error.kind == .oauth)
            #expect(error.oauthError == (defect == "client" ? "invalid_client" : "invalid_grant"))
            #expect(!error.description.contains(code.value))
        }
    }

    @Test("refresh rotates; reusing an old refresh token revokes the whole grant")
    func refreshRotation() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let first = try await h.userTokens()
        let old = try #require(first.refreshToken)
        let second = try await h.oauth.refresh(old)
        let rotated = try #require(second.refreshToken)
        #expect(rotated != old && second.accessToken != first.accessToken)
        _ = try await h.management.me(token: second.accessToken)
        do {
            _ = try await h.oauth.refresh(old)
            Issue.record("old refresh token accepted")
        } catch {
            #expect(error.oauthError == "invalid_grant")
        }
        // The grant is revoked: the newest tokens are dead too.
        await #expect(throws: PrismaError.self) { try await h.oauth.refresh(rotated) }
        await #expect(throws: PrismaError.self) { try await h.management.me(token: second.accessToken) }
    }

    @Test("token calls are never retried, even on 5xx")
    func tokenNotRetried() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let tokens = try await h.userTokens()
        let refreshToken = try #require(tokens.refreshToken)
        h.emulator.inject(Fault(route: "POST /token", status: 503))
        do {
            _ = try await h.oauth.refresh(refreshToken)
            Issue.record("refresh succeeded")
        } catch {
            #expect(error.kind == .server)
        }
        #expect(h.emulator.callCount("POST /token") == 2)
    }

    @Test("access tokens expire after an hour")
    func accessTokenExpiry() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let tokens = try await h.userTokens()
        _ = try await h.management.me(token: tokens.accessToken)
        h.emulator.advanceClock(by: .seconds(3601))
        do {
            _ = try await h.management.me(token: tokens.accessToken)
            Issue.record("expired token accepted")
        } catch {
            #expect(error.kind == .unauthorized)
        }
    }

    @Test("authorize: unknown client or redirect → error page, never a redirect; other errors go back with state")
    func authorizeValidation() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let challenge = PKCE.challenge(for: PKCE.makeVerifier().value)
        let good = "client_id=sandbox-client&redirect_uri=\(FormEncoding.escape(h.redirectURI))&response_type=code&scope=workspace%3Aadmin&state=abc&code_challenge=\(challenge)&code_challenge_method=S256"
        #expect(try await h.http.get("/authorize?" + good).status == 200)
        let unknownClient = try await h.http.get("/authorize?" + good.replacingOccurrences(of: "sandbox-client", with: "evil"))
        #expect(unknownClient.status == 400 && unknownClient.header("Location") == nil)
        let evilRedirect = try await h.http.get("/authorize?" + good.replacingOccurrences(of: "localhost", with: "evil.example"))
        #expect(evilRedirect.status == 400 && evilRedirect.header("Location") == nil)
        let plain = try await h.http.get("/authorize?" + good.replacingOccurrences(of: "S256", with: "plain"))
        #expect(plain.status == 302)
        #expect(plain.header("Location")?.contains("error=invalid_request") == true)
        #expect(plain.header("Location")?.contains("state=abc") == true)
        let denied = try await h.authorize(decision: "deny", state: "st-9")
        #expect(denied["error"] == "access_denied" && denied["state"] == "st-9" && denied["code"] == nil)
        let noScope = try await h.http.get("/authorize?" + good.replacingOccurrences(of: "workspace%3Aadmin", with: "profile"))
        #expect(noScope.status == 302)
        #expect(noScope.header("Location")?.contains("error=invalid_scope") == true)
    }
}
