import Foundation
import HTTPServer
import Logging

/// Partner calls made in-process through the service's own router, with the caller's
/// `Authorization`: what `POST /mcp` runs its tools on. Authentication, validation, idempotency and
/// error translation are the partner API's own, so a tool answers exactly what the API would, and
/// every line logged names the `/mcp` request's id.
struct RouterPartnerTransport: PartnerTransport {
    /// The router without the `/mcp` route (a value copy taken before it was added).
    let router: Router
    let authorization: String?
    let requestID: String
    let logger: Logger

    func send(_ call: PartnerCall) async throws(PartnerClientError) -> PartnerReply {
        var headers = HTTPHeaders()
        if let authorization { headers.set("Authorization", authorization) }
        if call.body != nil { headers.set("Content-Type", "application/json") }
        if let key = call.idempotencyKey { headers.set("Idempotency-Key", key) }
        // The server decodes the path before routing; so does this, for the same answer.
        let request = HTTPRequest(
            method: call.method, path: call.path.removingPercentEncoding ?? call.path, query: call.query, headers: headers,
            body: call.body?.canonical ?? [], requestID: requestID, logger: logger)
        let response: HTTPResponse
        do {
            response = try await router.handle(request)
        } catch {
            throw .unreachable("the partner API closed the call without an answer")
        }
        // These calls skip the transport, so its access log: one line each, by route pattern (never
        // the raw path), under the `/mcp` request's id.
        logger.info("partner call via mcp", metadata: [
            "method": "\(call.method)", "route": "\(response.route ?? "unmatched")", "status": "\(response.status)",
        ])
        var lowered: [String: String] = [:]
        for field in response.headers { lowered[field.name.lowercased()] = field.value }
        return PartnerReply(status: response.status, headers: lowered, body: response.body)
    }
}
