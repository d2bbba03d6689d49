import Claimgate
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The log writer: off the request path, nothing lost at a flush, and a full pipe costs lines
/// (counted), never a stalled request.
@Suite("Log writer")
struct LogWriterTests {
    @Test("40,000 lines from 4 threads: after flush every one is in the file, in order per thread")
    func nothingLost() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        let writer = LogWriter(descriptor: fd)
        defer { writer.stop(); close(fd); unlink(path) }
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<10_000 { writer.write(Array("t\(thread) \(index)\n".utf8)) }
        }
        writer.flush()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 40_000)
        #expect(writer.droppedLines == 0)
        for thread in 0..<4 {
            let own = lines.filter { $0.hasPrefix("t\(thread) ") }.map { Int($0.split(separator: " ")[1])! }
            #expect(own == Array(0..<10_000))
        }
    }

    @Test("a pipe nobody reads: lines are dropped and counted, writers are never blocked")
    func fullPipeDrops() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let writer = LogWriter(descriptor: ends[1], capacityBytes: 4096)
        // The reader goes first (the writer is blocked on the full pipe: that ends its write), then
        // the writer stops, then its descriptor closes — never written to after.
        defer { close(ends[0]); writer.stop(); close(ends[1]) }
        let line = Array((String(repeating: "x", count: 99) + "\n").utf8)
        let started = ContinuousClock.now
        for _ in 0..<5_000 { writer.write(line) }  // 500 KB into a 64 KB pipe and a 4 KB buffer
        #expect(ContinuousClock.now - started < .seconds(5))  // would block forever if it waited
        #expect(writer.droppedLines > 0)
    }
}
