import ArgumentParser
import Claimgate
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `claimgate mcp`: the MCP server over stdio for a local agent (Claude Code, Cursor, …), talking
/// to a running Claimgate's partner API over HTTP.
///
/// stdio transport: one JSON-RPC message per line on stdin, one per line on stdout; stdout carries
/// nothing else (no logs). Requests run concurrently, so a `ping` is answered while a slow create
/// waits; the process ends when stdin closes, after the requests in flight have answered.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the Model Context Protocol over stdio, backed by a running Claimgate's partner API.",
        discussion: """
            For an agent's MCP configuration: {"command": "claimgate", "args": ["mcp"], "env": {"CLAIMGATE_URL": "…", \
            "CLAIMGATE_API_KEY": "…"}}. Tools: create_database, get_database, list_databases, list_regions, \
            new_claim_link, extend_database, delete_database. Protocol revision 2025-06-18 (2025-03-26 and \
            2024-11-05 negotiated too).
            """)

    @OptionGroup var connection: ClientOptions

    func run() async throws {
        let server = MCPServer(client: try connection.client())
        signal(SIGPIPE, SIG_IGN)  // a client that went away ends the loop at EOF, not with a signal
        let output = StdoutLines()
        await withTaskGroup(of: Void.self) { group in
            for await line in StdinLines.stream() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) {
                group.addTask {
                    if let reply = await server.handle(line, notify: output.write) { output.write(reply) }
                }
            }
            await group.waitForAll()
        }
    }
}

/// Lines of stdin, read on a thread of their own (a blocking read must not hold a thread of the
/// cooperative pool), as an async stream that finishes at end of input.
enum StdinLines {
    static func stream() -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            let thread = Thread {
                while let line = readLine(strippingNewline: true) { continuation.yield(Array(line.utf8)) }
                continuation.finish()
            }
            thread.name = "claimgate.mcp.stdin"
            thread.start()
        }
    }
}

/// Whole lines to stdout, one writer at a time (replies from concurrent requests never interleave).
final class StdoutLines: Sendable {
    private let lock = Mutex(())

    func write(_ bytes: [UInt8]) {
        lock.withLock { _ in
            let line = bytes + [0x0a]
            var offset = 0
            line.withUnsafeBytes { buffer in
                while offset < buffer.count {
                    let written = Glibc.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return }  // the client closed stdout: nothing more to say
                    offset += written
                }
            }
        }
    }
}
