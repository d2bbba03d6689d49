import Crypto
import Foundation
import HTTPServer
import PrismaAPI
import Secrets

/// The emulated `auth.prisma.io`: `/authorize` with a consent page, and `/token` with PKCE,
/// single-use short-lived codes, 1-hour JWT-shaped access tokens and rotating refresh tokens
/// whose reuse revokes the whole grant.
struct OAuthRoutes {
    let state: EmulatorState
    let signingKey: SymmetricKey

    func register(in router: inout Router, wrap: (String, @escaping Router.Handler) -> Router.Handler) {
        router.get("/authorize", wrap("GET /authorize", authorize))
        router.post("/authorize", wrap("POST /authorize", decide))
        router.post("/token", wrap("POST /token", token))
    }

    /// A validated authorization request.
    struct AuthorizationRequest {
        var client: EmulatorConfiguration.Client
        var redirectURI: String
        var state: String
        var scope: String
        var challenge: String
    }

    enum Validation {
        case ok(AuthorizationRequest)
        /// The client or redirect URI is wrong: never redirect, show an error page.
        case page(String)
        /// Anything else: back to the (validated) redirect URI with an OAuth error.
        case redirect(String, error: String, description: String, state: String?)
    }

    func validate(_ parameters: [(name: String, value: String)]) -> Validation {
        func one(_ name: String) -> String? {
            let values = parameters.filter { $0.name == name }.map(\.value)
            return values.count == 1 ? values[0] : nil
        }
        guard let clientID = one("client_id"),
              let client = state.configuration.clients.first(where: { $0.id == clientID }) else {
            return .page("Unknown or missing client_id.")
        }
        guard let redirectURI = one("redirect_uri"), OAuthRoutes.matches(redirectURI, client.redirectURIs) else {
            return .page("The redirect_uri is missing or not registered for this application.")
        }
        let state = one("state")
        guard one("response_type") == "code" else {
            return .redirect(redirectURI, error: "unsupported_response_type", description: "response_type must be code", state: state)
        }
        guard let state, !state.isEmpty else {
            return .redirect(redirectURI, error: "invalid_request", description: "state is required", state: nil)
        }
        guard let challenge = one("code_challenge"), challenge.count >= 43, one("code_challenge_method") == "S256" else {
            return .redirect(redirectURI, error: "invalid_request", description: "PKCE with S256 is required", state: state)
        }
        let scope = one("scope") ?? ""
        guard scope.split(separator: " ").contains("workspace:admin"),
              scope.split(separator: " ").allSatisfy({ $0 == "workspace:admin" || $0 == "offline_access" }) else {
            return .redirect(redirectURI, error: "invalid_scope", description: "scope must be workspace:admin [offline_access]", state: state)
        }
        return .ok(AuthorizationRequest(client: client, redirectURI: redirectURI, state: state, scope: scope, challenge: challenge))
    }

    func authorize(_ request: HTTPRequest) async -> HTTPResponse {
        switch validate(request.query) {
        case .page(let message): return .html(ConsentPage.error(message), status: 400)
        case .redirect(let uri, let error, let description, let state):
            return OAuthRoutes.redirect(uri, ["error": error, "error_description": description, "state": state])
        case .ok(let authorization):
            return .html(ConsentPage.consent(authorization, users: state.configuration.users))
        }
    }

    /// The consent form's POST: approve (with a chosen user and workspace) or deny.
    func decide(_ request: HTTPRequest) async -> HTTPResponse {
        let form = FormEncoding.decode(String(decoding: request.body, as: UTF8.self))
        let authorization: AuthorizationRequest
        switch validate(form.filter { $0.name != "decision" && $0.name != "account" }) {
        case .page(let message): return .html(ConsentPage.error(message), status: 400)
        case .redirect(let uri, let error, let description, let state):
            return OAuthRoutes.redirect(uri, ["error": error, "error_description": description, "state": state])
        case .ok(let valid): authorization = valid
        }
        let decision = form.first { $0.name == "decision" }?.value
        guard decision == "approve" else {
            return OAuthRoutes.redirect(authorization.redirectURI, [
                "error": "access_denied", "error_description": "The user denied the request.", "state": authorization.state,
            ])
        }
        let account = (form.first { $0.name == "account" }?.value ?? "").split(separator: "/").map(String.init)
        guard account.count == 2, let user = state.configuration.users.first(where: { $0.id == account[0] }),
              user.workspaces.contains(where: { $0.id == account[1] }) else {
            return .html(ConsentPage.error("Pick an account and a workspace."), status: 400)
        }
        let code = EmulatorState.randomToken()
        let expires = state.now.addingTimeInterval(state.configuration.authorizationCodeLifetime.seconds)
        state.data.withLock { data in
            data.codes[code] = .init(
                clientID: authorization.client.id, redirectURI: authorization.redirectURI, challenge: authorization.challenge,
                userID: user.id, workspaceID: account[1], scope: authorization.scope, expiresAt: expires)
        }
        return OAuthRoutes.redirect(authorization.redirectURI, ["code": code, "state": authorization.state])
    }

    func token(_ request: HTTPRequest) async -> HTTPResponse {
        let form = FormEncoding.decode(String(decoding: request.body, as: UTF8.self))
        func one(_ name: String) -> String? {
            let values = form.filter { $0.name == name }.map(\.value)
            return values.count == 1 && !values[0].isEmpty ? values[0] : nil
        }
        var clientID = one("client_id"), secret = one("client_secret")
        if let basic = request.headers["Authorization"], basic.lowercased().hasPrefix("basic "),
           let decoded = Data(base64Encoded: String(basic.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
           let colon = decoded.firstIndex(of: ":") {
            clientID = String(decoded[..<colon]).removingPercentEncoding
            secret = String(decoded[decoded.index(after: colon)...]).removingPercentEncoding
        }
        guard let clientID, let secret,
              let client = state.configuration.clients.first(where: { $0.id == clientID }),
              Data(client.secret.utf8) == Data(secret.utf8) else {
            return JSONBody.oauthError(401, "invalid_client", "Client authentication failed.")
        }
        switch one("grant_type") {
        case "authorization_code": return exchange(form: one, client: client)
        case "refresh_token": return refresh(form: one, client: client)
        case nil: return JSONBody.oauthError(400, "invalid_request", "grant_type is required.")
        default: return JSONBody.oauthError(400, "unsupported_grant_type", "Only authorization_code and refresh_token.")
        }
    }

    private func exchange(form one: (String) -> String?, client: EmulatorConfiguration.Client) -> HTTPResponse {
        guard let code = one("code"), let redirectURI = one("redirect_uri"), let verifier = one("code_verifier") else {
            return JSONBody.oauthError(400, "invalid_request", "code, redirect_uri and code_verifier are required.")
        }
        let now = state.now
        enum Outcome { case tokens([String: Any]), failure(String) }
        let outcome: Outcome = state.data.withLock { data in
            guard var entry = data.codes[code], entry.clientID == client.id else { return .failure("Unknown authorization code.") }
            if entry.used {
                // A replayed code revokes what it produced (RFC 6749 §4.1.2).
                if let grantID = entry.grantID { data.grants[grantID]?.revoked = true }
                return .failure("The authorization code was already used.")
            }
            entry.used = true
            data.codes[code] = entry
            guard entry.expiresAt > now else { return .failure("The authorization code expired.") }
            guard entry.redirectURI == redirectURI else { return .failure("redirect_uri does not match the authorization request.") }
            guard PKCE.isWellFormed(verifier), PKCE.challenge(for: verifier) == entry.challenge else {
                return .failure("The PKCE code_verifier does not match the code_challenge.")
            }
            let grantID = EmulatorState.newID()
            var grant = EmulatorState.Grant(
                id: grantID, clientID: client.id, userID: entry.userID, workspaceID: entry.workspaceID, scope: entry.scope)
            entry.grantID = grantID
            data.codes[code] = entry
            let body = issue(&grant, data: &data, now: now)
            data.grants[grantID] = grant
            return .tokens(body)
        }
        switch outcome {
        case .tokens(let body): return tokenResponse(body)
        case .failure(let reason): return JSONBody.oauthError(400, "invalid_grant", reason)
        }
    }

    private func refresh(form one: (String) -> String?, client: EmulatorConfiguration.Client) -> HTTPResponse {
        guard let presented = one("refresh_token") else {
            return JSONBody.oauthError(400, "invalid_request", "refresh_token is required.")
        }
        let now = state.now
        let body: [String: Any]? = state.data.withLock { data in
            if let reused = data.grants.values.first(where: { $0.retiredRefreshTokens.contains(presented) }) {
                // Reuse of a rotated-out refresh token: treat as theft, revoke the whole grant.
                data.grants[reused.id]?.revoked = true
                return nil
            }
            guard var grant = data.grants.values.first(where: { $0.refreshToken == presented }),
                  !grant.revoked, grant.clientID == client.id else { return nil }
            grant.retiredRefreshTokens.insert(presented)
            let body = issue(&grant, data: &data, now: now)
            data.grants[grant.id] = grant
            return body
        }
        guard let body else { return JSONBody.oauthError(400, "invalid_grant", "The refresh token is invalid, expired or revoked.") }
        return tokenResponse(body)
    }

    /// Mints an access token (and a fresh refresh token with `offline_access`) for a grant.
    private func issue(_ grant: inout EmulatorState.Grant, data: inout EmulatorState.Data, now: Date) -> [String: Any] {
        let lifetime = state.configuration.accessTokenLifetime.seconds
        let user = state.configuration.users.first { $0.id == grant.userID }
        let access = jwt([
            "sub": "usr_" + grant.userID, "workspace_id": grant.workspaceID, "email": user?.email ?? "",
            "client_id": grant.clientID, "iat": Int(now.timeIntervalSince1970),
            "exp": Int(now.timeIntervalSince1970 + lifetime), "jti": EmulatorState.randomToken(bytes: 12),
        ])
        data.accessTokens[access] = .init(grantID: grant.id, expiresAt: now.addingTimeInterval(lifetime))
        var body: [String: Any] = [
            "access_token": access, "token_type": "Bearer", "expires_in": Int(lifetime), "scope": grant.scope,
        ]
        if grant.scope.split(separator: " ").contains("offline_access") {
            let refresh = "rt_" + EmulatorState.randomToken()
            grant.refreshToken = refresh
            body["refresh_token"] = refresh
        }
        return body
    }

    private func tokenResponse(_ body: [String: Any]) -> HTTPResponse {
        var response = JSONBody.response(body)
        response.headers.set("Cache-Control", "no-store")
        return response
    }

    private func jwt(_ claims: [String: Any]) -> String {
        let header = Base64URL.encode(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payloadData = (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data()
        let signingInput = header + "." + Base64URL.encode(payloadData)
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: signingKey)
        return signingInput + "." + Base64URL.encode(signature)
    }

    // MARK: Helpers

    /// Exact match, or the same loopback URI on any port (Prisma's rule for development URIs).
    static func matches(_ candidate: String, _ registered: [String]) -> Bool {
        if registered.contains(candidate) { return true }
        guard let given = URLComponents(string: candidate), let host = given.host,
              ["localhost", "127.0.0.1", "[::1]", "::1"].contains(host) else { return false }
        return registered.contains { entry in
            guard let known = URLComponents(string: entry) else { return false }
            return known.scheme == given.scheme && known.host == given.host && known.path == given.path
                && known.query == given.query && given.fragment == nil
        }
    }

    static func redirect(_ uri: String, _ parameters: [String: String?]) -> HTTPResponse {
        var components = URLComponents(string: uri)!
        var items = components.queryItems ?? []
        for key in ["code", "error", "error_description", "state"] {
            if let value = parameters[key] ?? nil { items.append(URLQueryItem(name: key, value: value)) }
        }
        components.queryItems = items
        components.percentEncodedQuery = components.percentEncodedQuery?
            .replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(of: "/", with: "%2F")
        return HTTPResponse(status: 302, headers: ["Location": components.url!.absoluteString, "Cache-Control": "no-store"])
    }
}

extension Duration {
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
