import CSpawn
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process for tests, started with `posix_spawn` (see `cspawn.h` for why not Foundation's
/// `Process`), with the few members the tests use.
public final class SpawnedProcess: Sendable {
    public enum TerminationReason: Sendable { case exit, uncaughtSignal }

    public let processIdentifier: pid_t
    /// The raw wait status once reaped.
    private let status = Mutex<Int32?>(nil)

    /// Starts `path` with `arguments` and exactly `environment`, in `directory`, printing into `output`.
    public convenience init(path: String, arguments: [String], environment: [String: String], directory: String?, output: String) throws {
        try self.init(path: path, arguments: arguments, environment: environment, directory: directory, input: -1, output: output, errors: nil)
    }

    /// Starts `path` with stdin from the descriptor `input` (-1: /dev/null), stdout into `output`
    /// and stderr into `errors` (nil: into `output` too).
    public init(path: String, arguments: [String], environment: [String: String], directory: String?,
                input: Int32, output: String, errors: String?) throws {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = argv.withUnsafeBufferPointer { args in
            envp.withUnsafeBufferPointer { env in
                cspawn_io(path, args.baseAddress, env.baseAddress, directory, input, output, errors, &pid)
            }
        }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        processIdentifier = pid
    }

    /// Reaps the child if it has exited (without waiting when `block` is false).
    private func reap(block: Bool) -> Int32? {
        if let known = status.withLock({ $0 }) { return known }
        var raw: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(processIdentifier, &raw, block ? 0 : WNOHANG) } while result == -1 && errno == EINTR
        guard result == processIdentifier else { return nil }
        status.withLock { $0 = raw }
        return raw
    }

    public var isRunning: Bool { reap(block: false) == nil }

    /// Blocks until the child exits. Call it off the cooperative pool, or after it is known to exit.
    public func waitUntilExit() { _ = reap(block: true) }

    public func terminate() { kill(processIdentifier, SIGTERM) }

    public var terminationReason: TerminationReason {
        let raw = reap(block: true) ?? 0
        return (raw & 0x7f) == 0 ? .exit : .uncaughtSignal
    }

    /// The exit code, or the signal number when killed by one (as Foundation reports it).
    public var terminationStatus: Int32 {
        let raw = reap(block: true) ?? 0
        return (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f
    }
}
