import Foundation
import JSONValues

/// An RFC 9457 problem document: the single shape of every error this server returns.
///
/// `code` is the stable, machine-readable name of the problem; `type` is a URI made of the
/// server's configured prefix and the code (the transport names no product, so the prefix is the
/// application's choice). `detail` is for humans and never carries secrets, stack traces or
/// upstream bodies. A problem is also an `Error`: handlers and middleware throw it, and the
/// ``Router`` renders it.
public struct ProblemDetails: Sendable, Equatable, Error {
    /// Set only when a problem must carry a `type` other than prefix + code.
    public var type: String?
    public var title: String
    public var status: Int
    public var detail: String?
    public var code: String
    public var instance: String?
    public var requestId: String?
    /// Extra machine-readable members, e.g. the offending field name; encoded as top-level
    /// members, as RFC 9457 §3.2 defines extensions.
    public var extensions: [String: String]?
    /// Response header fields that go with the problem (`Retry-After`, `WWW-Authenticate`, `Allow`).
    public var headers: HTTPHeaders = HTTPHeaders()

    static let standardMembers: Set<String> = ["type", "title", "status", "detail", "code", "instance", "requestId"]

    public init(status: Int, code: String, title: String, detail: String? = nil, extensions: [String: String]? = nil,
                headers: HTTPHeaders = HTTPHeaders()) {
        self.title = title
        self.status = status
        self.detail = detail
        self.code = code
        self.extensions = extensions
        self.headers = headers
    }

    public static func == (lhs: ProblemDetails, rhs: ProblemDetails) -> Bool {
        lhs.type == rhs.type && lhs.title == rhs.title && lhs.status == rhs.status && lhs.detail == rhs.detail
            && lhs.code == rhs.code && lhs.instance == rhs.instance && lhs.requestId == rhs.requestId
            && lhs.extensions == rhs.extensions
    }

    /// The problem as an `application/problem+json` response.
    /// - Parameter typePrefix: Prepended to `code` to make `type` (e.g. `urn:example:problem:`).
    public func response(requestID: String? = nil, typePrefix: String) -> HTTPResponse {
        var headers = self.headers
        headers.set("Content-Type", "application/problem+json")
        headers.set("Cache-Control", "no-store")
        return HTTPResponse(status: status, headers: headers, body: encoded(requestID: requestID, typePrefix: typePrefix))
    }

    /// The JSON document (sorted keys, so stored copies compare byte for byte).
    public func encoded(requestID: String? = nil, typePrefix: String) -> [UInt8] {
        // Each member as its JSON value; `status` is the one number.
        var members: [String: [UInt8]] = [:]
        for (name, value) in extensions ?? [:] where !ProblemDetails.standardMembers.contains(name) {
            members[name] = JSONText.string(value)
        }
        let strings: [String: String?] = [
            "type": type ?? typePrefix + code, "title": title, "detail": detail, "code": code, "instance": instance,
            "requestId": requestId ?? requestID,
        ]
        for case let (name, value?) in strings { members[name] = JSONText.string(value) }
        members["status"] = Array(String(status).utf8)
        var out = Array("{".utf8)
        for (index, name) in members.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += JSONText.string(name) + [UInt8(ascii: ":")] + members[name]!
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    // Common problems the transport itself produces.
    public static let notFound = ProblemDetails(status: 404, code: "not-found", title: "Not Found", detail: "No resource at this path.")
    public static func methodNotAllowed(_ method: String, allowed: [String]) -> ProblemDetails {
        ProblemDetails(status: 405, code: "method-not-allowed", title: "Method Not Allowed",
                       detail: "\(method) is not supported on this resource.", headers: ["Allow": allowed.joined(separator: ", ")])
    }
    public static func bodyTooLarge(limit: Int) -> ProblemDetails {
        ProblemDetails(status: 413, code: "payload-too-large", title: "Content Too Large",
                       detail: "The request body exceeds the limit of \(limit) bytes.")
    }
    public static func headersTooLarge(limit: Int) -> ProblemDetails {
        ProblemDetails(status: 431, code: "headers-too-large", title: "Request Header Fields Too Large",
                       detail: "The request headers exceed the limit of \(limit) bytes.")
    }
    public static func badFraming(_ detail: String) -> ProblemDetails {
        ProblemDetails(status: 400, code: "bad-request-framing", title: "Bad Request", detail: detail)
    }
    public static func badRequest(_ detail: String) -> ProblemDetails {
        ProblemDetails(status: 400, code: "bad-request", title: "Bad Request", detail: detail)
    }
    public static let timeout = ProblemDetails(
        status: 503, code: "handler-timeout", title: "Service Unavailable",
        detail: "The request took too long to process; it is safe to retry idempotent requests.")
    public static let shuttingDown = ProblemDetails(
        status: 503, code: "shutting-down", title: "Service Unavailable",
        detail: "The server is shutting down; retry shortly.")
    public static let internalError = ProblemDetails(
        status: 500, code: "internal", title: "Internal Server Error",
        detail: "The server failed to handle the request; it was logged with this request id.")
}

/// A coding key made from any string, for JSON documents whose member names are chosen at run
/// time (partner metadata).
public struct JSONKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
