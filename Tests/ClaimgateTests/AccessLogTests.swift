@testable import Claimgate
import Foundation
import HTTPServer
import Logging
import Testing

@Suite("Access log lines and API key parsing")
struct AccessLogTests {
    /// A line without its `ts` member (the only one that differs between two lines written now).
    func withoutTime(_ line: String) -> String {
        line.replacingOccurrences(of: #"\{"ts":"[^"]*","#, with: "{", options: .regularExpression)
    }

    @Test("the access log's sorted-fields line is the line swift-log metadata makes, member for member")
    func sameLine() throws {
        let sink = LogSink.memory()
        let handler = JSONLogHandler(label: "claimgate", level: .info, sink: sink)
        let logger = Logger(label: "claimgate") { _ in handler }
        let access = AccessRecord(requestID: "r-1", method: "GET", path: "/v1/databases/cgdb_\"x\"", route: "/v1/databases/:id",
                                  status: 200, duration: .microseconds(1234), responseBytes: 372)
        AccessLog(logger: logger).write(access, level: .info)
        logger.info("request", metadata: [
            "request_id": "r-1", "method": "GET", "path": "/v1/databases/cgdb_\"x\"", "route": "/v1/databases/:id",
            "status": "200", "duration_ms": "1.234", "bytes": "372",
        ])
        AccessLog(logger: logger).write(access, level: .debug)  // below the level: nothing
        let lines = sink.lines
        #expect(lines.count == 2)
        #expect(withoutTime(lines[0]) == withoutTime(lines[1]))
        #expect(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) is [String: Any])
        #expect(lines[0].hasPrefix(#"{"ts":""#))
    }

    @Test("a handler with metadata of its own merges it into access lines too")
    func handlerMetadata() throws {
        let sink = LogSink.memory()
        var logger = Logger(label: "claimgate") { label in JSONLogHandler(label: label, level: .info, sink: sink) }
        logger[metadataKey: "replica"] = "a"
        AccessLog(logger: logger).write(AccessRecord(requestID: "r-2", method: "GET", path: "/", route: "/", status: 200,
                                                     duration: .zero, responseBytes: 0), level: .info)
        let line = try #require(sink.lines.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["replica"] as? String == "a")
        #expect(object["request_id"] as? String == "r-2")
    }

    @Test("Bearer tokens: scheme in any case, blanks around the token dropped, anything else refused")
    func bearer() {
        #expect(PartnerAuthenticator.bearerToken("Bearer abc") == Array("abc".utf8))
        #expect(PartnerAuthenticator.bearerToken("bEaReR \t abc \t") == Array("abc".utf8))
        #expect(PartnerAuthenticator.bearerToken("Bearer    ") == [])
        #expect(PartnerAuthenticator.bearerToken("Bearer") == nil)
        #expect(PartnerAuthenticator.bearerToken("Basic abc") == nil)
        #expect(PartnerAuthenticator.bearerToken("Bearerabc") == nil)
    }
}
