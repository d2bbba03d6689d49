import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line (to stderr by default), so log
/// pipelines can parse every field, the request id included.
///
/// It never formats secrets by itself: callers pass ``Secret`` values, which print as `<redacted>`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let sink: LogSink

    public init(label: String, level: Logger.Level = .info, sink: LogSink = .standardError) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: Any] = [
            "ts": JSONLogHandler.timestamp(),
            "level": event.level.rawValue,
            "msg": event.message.description,
            "logger": label,
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged { fields[key] = JSONLogHandler.plain(value) }
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        line.append(0x0a)
        sink.write(line)
    }

    static func plain(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(plain)
        case .dictionary(let values): return values.mapValues(plain)
        }
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1_000_000)
    }
}

/// Where log lines go: a file descriptor (stderr), or memory for tests.
public final class LogSink: Sendable {
    private let descriptor: Int32
    private let captured = Mutex<[String]?>(nil)
    private let lock = Mutex<Void>(())

    private init(descriptor: Int32, capture: Bool) {
        self.descriptor = descriptor
        if capture { captured.withLock { $0 = [] } }
    }

    public static let standardError = LogSink(descriptor: 2, capture: false)

    /// A sink that keeps lines in memory (and writes nothing).
    public static func memory() -> LogSink { LogSink(descriptor: -1, capture: true) }

    /// Lines captured by a memory sink.
    public var lines: [String] { captured.withLock { $0 ?? [] } }

    func write(_ data: Data) {
        if descriptor < 0 {
            captured.withLock { $0?.append(String(decoding: data, as: UTF8.self)) }
            return
        }
        lock.withLock { _ in
            data.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
    }
}
