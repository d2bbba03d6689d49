import HTTPServer
import Logging

/// One line per answered request: `msg` "request" with `bytes`, `duration_ms`, `method`, `path`
/// (ids longer than 31 characters redacted, see ``Application/loggablePath(_:route:)``),
/// `request_id`, `route` and `status`.
///
/// With the service's ``JSONLogHandler`` the line is written through its sorted-fields path (no
/// metadata dictionary per request); with any other handler (tests may install one) through
/// swift-log as usual. Both write the same members.
struct AccessLog: Sendable {
    let logger: Logger
    private let json: JSONLogHandler?

    init(logger: Logger) {
        self.logger = logger
        json = logger.handler as? JSONLogHandler
    }

    func write(_ access: AccessRecord, level: Logger.Level) {
        guard logger.logLevel <= level else { return }
        let path = Application.loggablePath(access.path, route: access.route)
        let duration = String((access.duration / .microseconds(1)).rounded() / 1000)
        guard let json else {
            logger.log(level: level, "request", metadata: [
                "request_id": .string(access.requestID), "method": .string(access.method), "path": .string(path),
                "route": .string(access.route), "status": .string(String(access.status)),
                "duration_ms": .string(duration), "bytes": .string(String(access.responseBytes)),
            ])
            return
        }
        json.log(level: level, "request", sortedFields: [
            "bytes": String(access.responseBytes), "duration_ms": duration, "method": access.method, "path": path,
            "request_id": access.requestID, "route": access.route, "status": String(access.status),
        ])
    }
}
