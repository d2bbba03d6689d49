import Foundation

/// An RFC 9457 problem document: the single shape of every error this service returns.
///
/// `code` is the stable, machine-readable name of the problem (also the last part of `type`);
/// `detail` is for humans and never carries secrets, stack traces or upstream bodies.
public struct ProblemDetails: Sendable, Encodable, Equatable, Error {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    public var code: String
    public var instance: String?
    public var requestId: String?
    /// Extra machine-readable members, e.g. the offending field name; encoded as top-level
    /// members, as RFC 9457 §3.2 defines extensions.
    public var extensions: [String: String]?

    static let standardMembers: Set<String> = ["type", "title", "status", "detail", "code", "instance", "requestId"]

    public func encode(to encoder: any Encoder) throws {
        typealias Key = JSONKey
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(type, forKey: Key("type"))
        try container.encode(title, forKey: Key("title"))
        try container.encode(status, forKey: Key("status"))
        try container.encodeIfPresent(detail, forKey: Key("detail"))
        try container.encode(code, forKey: Key("code"))
        try container.encodeIfPresent(instance, forKey: Key("instance"))
        try container.encodeIfPresent(requestId, forKey: Key("requestId"))
        for (name, value) in extensions ?? [:] where !ProblemDetails.standardMembers.contains(name) {
            try container.encode(value, forKey: Key(name))
        }
    }

    /// Builds a problem whose `type` is derived from its `code`.
    public init(status: Int, code: String, title: String, detail: String? = nil, extensions: [String: String]? = nil) {
        self.type = ProblemDetails.typeURI(for: code)
        self.title = title
        self.status = status
        self.detail = detail
        self.code = code
        self.extensions = extensions
    }

    /// The stable `type` URI of a problem code.
    public static func typeURI(for code: String) -> String { "urn:claimgate:problem:\(code)" }

    /// The problem as an `application/problem+json` response.
    public func response(requestID: String? = nil, headers extra: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var problem = self
        if problem.requestId == nil { problem.requestId = requestID }
        var headers = extra
        headers.set("Content-Type", "application/problem+json")
        headers.set("Cache-Control", "no-store")
        return HTTPResponse(status: status, headers: headers, body: problem.encoded())
    }

    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? Array(#"{"status":500,"code":"internal"}"#.utf8)
    }

    // Common problems the transport itself produces.
    public static let notFound = ProblemDetails(status: 404, code: "not-found", title: "Not Found", detail: "No resource at this path.")
    public static func methodNotAllowed(_ method: String) -> ProblemDetails {
        ProblemDetails(status: 405, code: "method-not-allowed", title: "Method Not Allowed",
                       detail: "\(method) is not supported on this resource.")
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
    public static let timeout = ProblemDetails(
        status: 503, code: "handler-timeout", title: "Service Unavailable",
        detail: "The request took too long to process; it is safe to retry idempotent requests.")
    public static let shuttingDown = ProblemDetails(
        status: 503, code: "shutting-down", title: "Service Unavailable",
        detail: "The server is shutting down; retry shortly.")
}

/// A coding key made from any string, for JSON documents whose member names are chosen at run
/// time (problem extensions, partner metadata).
public struct JSONKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
