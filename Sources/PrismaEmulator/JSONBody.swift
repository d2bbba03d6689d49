import Foundation
import HTTPServer

/// JSON helpers for the emulator's hand-shaped responses (dictionaries keep `null` and absent
/// distinct, which the OpenAPI schemas care about).
enum JSONBody {
    static let null = NSNull()

    static func response(_ object: Any, status: Int = 200) -> HTTPResponse {
        // Unsorted: sorting keys costs JSONSerialization on Linux more than twice the time.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data()
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(data))
    }

    /// Prisma's error envelope.
    static func error(_ status: Int, _ code: String, _ message: String, hint: String? = nil) -> HTTPResponse {
        var body: [String: Any] = ["code": code, "message": message]
        if let hint { body["hint"] = hint }
        return response(["error": body], status: status)
    }

    /// An OAuth token-endpoint error.
    static func oauthError(_ status: Int, _ error: String, _ description: String) -> HTTPResponse {
        var response = response(["error": error, "error_description": description], status: status)
        response.headers.set("Cache-Control", "no-store")
        return response
    }

    static func object(_ request: HTTPRequest) -> [String: Any]? {
        guard !request.body.isEmpty else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any]
    }

    static let unauthorized = error(401, "authentication-failed", "Missing or invalid authorization token.")

    static func notFound(_ what: String) -> HTTPResponse {
        error(404, "resource-not-found", "\(what) was not found.", hint: "Use GET /v1/projects to list available IDs.")
    }
}
