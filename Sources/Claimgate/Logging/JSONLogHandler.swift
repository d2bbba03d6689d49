import HTTPServer
import JSONValues
import Logging
import Synchronization
import Timestamps

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line (to stderr by default), so log
/// pipelines can parse every field, the request id included.
///
/// A line is built byte by byte, without Foundation (no `JSONEncoder`, no `Data`): the access log
/// writes one per request, and on Linux the encoder alone cost more than answering `/healthz`.
/// Fields: `ts`, `level`, `msg`, `logger`, then the metadata in key order. It never formats
/// secrets by itself: callers pass ``Secret`` values, which print as `<redacted>`.
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
        let merged: Logger.Metadata
        if let extra = event.metadata, !extra.isEmpty {
            merged = metadata.isEmpty ? extra : metadata.merging(extra) { _, new in new }
        } else {
            merged = metadata
        }
        var line = head(event.level, event.message.description)
        for key in merged.keys.sorted() where !JSONLogHandler.reserved.contains(key) {
            line.append(UInt8(ascii: ","))
            JSONText.append(key, to: &line)
            line.append(UInt8(ascii: ":"))
            JSONLogHandler.write(merged[key]!, into: &line)
        }
        finish(&line, level: event.level)
    }

    /// Logs a line whose metadata is string fields given in key order: the line ``log(event:)``
    /// writes for the same fields, without a `Logger.Metadata` dictionary to build, merge and
    /// sort — for the access log, which writes one per request (that cost 7 µs of each).
    /// With metadata of its own the handler takes the general path, which merges it in.
    public func log(level: Logger.Level, _ message: String, sortedFields fields: KeyValuePairs<String, String>) {
        guard logLevel <= level else { return }
        guard metadata.isEmpty else {
            var extra: Logger.Metadata = [:]
            for (key, value) in fields { extra[key] = .string(value) }
            log(event: LogEvent(level: level, message: "\(message)", metadata: extra, source: "", file: #fileID,
                                function: #function, line: #line))
            return
        }
        var line = head(level, message)
        for (key, value) in fields where !JSONLogHandler.reserved.contains(key) {
            line.append(UInt8(ascii: ","))
            JSONText.append(key, to: &line)
            line.append(UInt8(ascii: ":"))
            JSONText.append(value, to: &line)
        }
        finish(&line, level: level)
    }

    /// `{"ts":…,"level":…,"msg":…,"logger":…`, appended in place (no intermediate arrays).
    private func head(_ level: Logger.Level, _ message: String) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(320)
        line.append(contentsOf: #"{"ts":""#.utf8)
        JSONLogHandler.appendTimestamp(to: &line)
        line.append(contentsOf: #"","level":"#.utf8)
        JSONText.append(level.rawValue, to: &line)
        line.append(contentsOf: #","msg":"#.utf8)
        JSONText.append(message, to: &line)
        line.append(contentsOf: #","logger":"#.utf8)
        JSONText.append(label, to: &line)
        return line
    }

    private func finish(_ line: inout [UInt8], level: Logger.Level) {
        line.append(UInt8(ascii: "}"))
        line.append(0x0a)
        sink.write(line, durable: level >= .error)
    }

    /// Members the handler writes itself; metadata of the same name would make a second member.
    static let reserved: Set<String> = ["ts", "level", "msg", "logger"]

    static func write(_ value: Logger.Metadata.Value, into line: inout [UInt8]) {
        switch value {
        case .string(let text): JSONText.append(text, to: &line)
        case .stringConvertible(let convertible): JSONText.append(convertible.description, to: &line)
        case .array(let values):
            line.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                write(element, into: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .dictionary(let values):
            line.append(UInt8(ascii: "{"))
            for (index, key) in values.keys.sorted().enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                JSONText.append(key, to: &line)
                line.append(UInt8(ascii: ":"))
                write(values[key]!, into: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
    }

    /// The current time as ``Timestamp`` writes it, appended to `line`.
    static func appendTimestamp(to line: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        Timestamp.append(milliseconds: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec / 1_000_000), to: &line)
    }
}

/// Where log lines go: stderr through a ``LogWriter`` (batched, off the request path), or memory
/// for tests.
public final class LogSink: Sendable {
    private let writer: LogWriter?
    private let captured = Mutex<[String]?>(nil)

    private init(writer: LogWriter?, capture: Bool) {
        self.writer = writer
        if capture { captured.withLock { $0 = [] } }
    }

    /// The process's stderr, written by one background thread.
    public static let standardError = LogSink(writer: LogWriter(descriptor: 2), capture: false)

    /// A sink that keeps lines in memory (and writes nothing).
    public static func memory() -> LogSink { LogSink(writer: nil, capture: true) }

    /// Lines captured by a memory sink.
    public var lines: [String] { captured.withLock { $0 ?? [] } }

    /// Lines dropped because the writer's buffer was full (0 for a memory sink).
    public var droppedLines: Int { writer?.droppedLines ?? 0 }

    /// Waits until every line so far is written (at shutdown).
    public func flush() { writer?.flush() }

    func write(_ line: [UInt8], durable: Bool) {
        guard let writer else {
            captured.withLock { $0?.append(String(decoding: line, as: UTF8.self)) }
            return
        }
        writer.write(line, durable: durable)
    }
}
