import HTTPServer

/// An answer of a partner operation: status, JSON body, extra headers — or a problem, rendered
/// by the route with the request's id.
public struct APIReply: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var headers: HTTPHeaders = HTTPHeaders()
    /// Set for errors found now; a replayed stored answer keeps its bytes (and Content-Type header).
    public var problem: ProblemDetails?

    static func problem(_ problem: ProblemDetails, headers: HTTPHeaders = HTTPHeaders()) -> APIReply {
        APIReply(status: problem.status, body: [], headers: headers, problem: problem)
    }
}
