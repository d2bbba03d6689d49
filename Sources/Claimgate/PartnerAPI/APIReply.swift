import HTTPServer

/// An answer of a partner operation: status, JSON body, extra headers.
public struct APIReply: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var headers: HTTPHeaders = HTTPHeaders()
    public var isProblem = false

    static func problem(_ problem: ProblemDetails, headers: HTTPHeaders = HTTPHeaders()) -> APIReply {
        APIReply(status: problem.status, body: problem.response().body, headers: headers, isProblem: true)
    }
}
