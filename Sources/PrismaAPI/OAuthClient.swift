import Foundation
import Secrets

/// The client side of Prisma's OAuth 2.0 server: building the authorization URL and calling the
/// token endpoint (authorization code with PKCE, and refresh).
///
/// Token calls are never retried: codes are single-use, and Prisma rotates refresh tokens and
/// revokes the whole grant when an old one is presented again.
public struct OAuthClient: Sendable {
    public let authURL: URL
    public let clientID: String
    let clientSecret: Secret
    let transport: any HTTPTransport
    let userAgent: String
    let timeout: Duration

    public init(authURL: URL, clientID: String, clientSecret: Secret, transport: any HTTPTransport,
                userAgent: String, timeout: Duration = .seconds(10)) {
        self.authURL = authURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.transport = transport
        self.userAgent = userAgent
        self.timeout = timeout
    }

    /// The `/authorize` URL for an authorization-code request with PKCE S256.
    public func authorizationURL(redirectURI: String, scope: String, state: Secret, codeChallenge: String) -> URL {
        var components = URLComponents(url: authURL.appendingPathComponent("authorize"), resolvingAgainstBaseURL: false)!
        components.queryItems = [
            URLQueryItem(name: "client_id", value: clientID),
            URLQueryItem(name: "redirect_uri", value: redirectURI),
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "scope", value: scope),
            URLQueryItem(name: "state", value: state.value),
            URLQueryItem(name: "code_challenge", value: codeChallenge),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        // URLComponents leaves "+" and "/" alone in queries; encode them so they survive form decoding.
        components.percentEncodedQuery = components.percentEncodedQuery?
            .replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(of: "/", with: "%2F")
        return components.url!
    }

    /// Exchanges an authorization code (with its PKCE verifier and the same redirect URI).
    public func exchangeCode(_ code: Secret, codeVerifier: Secret, redirectURI: String) async throws(PrismaError) -> OAuthTokens {
        try await token([
            ("grant_type", "authorization_code"), ("code", code.value), ("redirect_uri", redirectURI),
            ("code_verifier", codeVerifier.value),
        ])
    }

    /// Exchanges a refresh token for new tokens (Prisma rotates the refresh token every time).
    public func refresh(_ refreshToken: Secret) async throws(PrismaError) -> OAuthTokens {
        try await token([("grant_type", "refresh_token"), ("refresh_token", refreshToken.value)])
    }

    private func token(_ fields: [(String, String)]) async throws(PrismaError) -> OAuthTokens {
        let all = fields + [("client_id", clientID), ("client_secret", clientSecret.value)]
        let body = all.map { "\(FormEncoding.escape($0.0))=\(FormEncoding.escape($0.1))" }.joined(separator: "&")
        let request = TransportRequest(
            method: "POST", url: authURL.appendingPathComponent("token"),
            headers: [
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", "User-Agent": userAgent,
            ],
            body: Data(body.utf8), timeout: timeout)
        let response: TransportResponse
        do { response = try await transport.send(request) } catch { throw PrismaResponses.error(from: error) }
        guard (200..<300).contains(response.status) else { throw oauthError(response) }
        struct Wire: Decodable {
            let access_token: String?
            let token_type: String?
            let expires_in: Int?
            let refresh_token: String?
            let scope: String?
        }
        let wire = try PrismaResponses.decode(Wire.self, response)
        guard let access = wire.access_token, !access.isEmpty,
              wire.token_type?.caseInsensitiveCompare("bearer") == .orderedSame else {
            throw PrismaError(kind: .invalidResponse, status: response.status, message: "token response without a bearer access_token")
        }
        return OAuthTokens(
            accessToken: Secret(access), tokenType: "Bearer", expiresIn: wire.expires_in,
            refreshToken: wire.refresh_token.map { Secret($0) }, scope: wire.scope)
    }

    private func oauthError(_ response: TransportResponse) -> PrismaError {
        struct Wire: Decodable {
            let error: String?
            let error_description: String?
        }
        guard let wire = try? JSONDecoder().decode(Wire.self, from: response.body), let code = wire.error else {
            return PrismaResponses.apiError(response)
        }
        return PrismaError(
            kind: response.status >= 500 ? .server : .oauth, status: response.status, code: code,
            message: wire.error_description.map { String($0.prefix(300)) } ?? code,
            retryAfter: PrismaResponses.retryAfter(response))
    }
}

/// `application/x-www-form-urlencoded` encoding and decoding (RFC 1866 / WHATWG rules).
public enum FormEncoding {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// Decodes a form body into ordered pairs (duplicates kept).
    public static func decode(_ body: String) -> [(name: String, value: String)] {
        body.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return (name: unescape(parts[0]), value: parts.count > 1 ? unescape(parts[1]) : "")
        }
    }
}
