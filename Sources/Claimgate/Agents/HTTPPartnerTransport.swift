import Foundation
import PrismaAPI
import Secrets

/// Partner calls to a Claimgate over HTTP, with a partner API key: the transport of the CLI client
/// and of `claimgate mcp`. It rides the same AsyncHTTPClient transport as the Prisma client (no
/// silent re-send of a create, sub-second deadlines honoured; see ``AsyncHTTPClientTransport``).
public struct HTTPPartnerTransport: PartnerTransport {
    public let baseURL: URL
    let apiKey: Secret
    let http: any HTTPTransport
    /// Per call: longer than the service's own create wait (20 s by default), which is the slowest
    /// answer the partner API gives.
    let timeout: Duration

    public init(baseURL: URL, apiKey: Secret, http: any HTTPTransport = AsyncHTTPClientTransport(), timeout: Duration = .seconds(60)) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.http = http
        self.timeout = timeout
    }

    public func send(_ call: PartnerCall) async throws(PartnerClientError) -> PartnerReply {
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) else {
            throw .unreachable("the Claimgate URL \(baseURL) is not a URL")
        }
        // The base may carry a path prefix (a Claimgate behind a proxy at /claimgate).
        let prefix = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        components.percentEncodedPath = prefix + call.path
        if !call.query.isEmpty { components.queryItems = call.query.map { URLQueryItem(name: $0.name, value: $0.value) } }
        guard let url = components.url else { throw .unreachable("cannot form a URL from \(baseURL) and \(call.path)") }
        var headers = [
            "Authorization": "Bearer \(apiKey.value)", "Accept": "application/json",
            "User-Agent": "claimgate-client/\(ClaimgateVersion.current)",
        ]
        if call.body != nil { headers["Content-Type"] = "application/json" }
        if let key = call.idempotencyKey { headers["Idempotency-Key"] = key }
        let request = TransportRequest(method: call.method, url: url, headers: headers,
                                       body: call.body.map { Data($0.canonical) }, timeout: timeout)
        do {
            let response = try await http.send(request)
            var lowered: [String: String] = [:]
            for (name, value) in response.headers { lowered[name.lowercased()] = value }
            return PartnerReply(status: response.status, headers: lowered, body: Array(response.body))
        } catch {
            switch error {
            case .timedOut: throw .unreachable("no answer from \(baseURL.absoluteString) within \(timeout)")
            case .connectionFailed(let reason): throw .unreachable("cannot reach \(baseURL.absoluteString) (\(reason))")
            }
        }
    }
}
