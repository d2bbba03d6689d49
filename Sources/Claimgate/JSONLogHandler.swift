import Foundation
import Logging
import Synchronization
import Timestamps

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
        var fields: [String: JSONValue] = [
            "ts": .string(JSONLogHandler.timestamp()),
            "level": .string(event.level.rawValue),
            "msg": .string(event.message.description),
            "logger": .string(label),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged { fields[key] = JSONLogHandler.plain(value) }
        var line = JSON.encode(fields)
        line.append(0x0a)
        sink.write(Data(line))
    }

    static func plain(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let values): return .array(values.map(plain))
        case .dictionary(let values): return .object(values.mapValues(plain))
        }
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp.string(milliseconds: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec / 1_000_000))
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
