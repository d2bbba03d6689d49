import Logging
import PrismaAPI
import ServiceLifecycle

/// A background pass (recovery, expiry sweep, webhook delivery, transfer reconciliation) run at
/// start and then every `interval`, as a swift-service-lifecycle `Service`: a graceful shutdown
/// ends it between passes (or cancels the wait), never in the middle of an unrecorded step.
///
/// A pass that throws is not fatal: a storage failure is counted and logged (the rows are the
/// queue, so the next pass picks the work up again), anything else is logged.
public struct PeriodicWork: Service {
    public let name: String
    let interval: Duration
    /// Whether the first pass waits one interval (a cleanup with no urgency need not run, and call
    /// Prisma, at every start).
    let waitFirst: Bool
    let work: @Sendable () async throws -> Void
    /// Set when passes are shared by replicas: a pass runs only while this process holds its lease.
    var leases: Leases?
    let storageFaults: StorageFaults
    let logger: Logger

    public init(name: String, interval: Duration, waitFirst: Bool = false, storageFaults: StorageFaults, logger: Logger,
                work: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.waitFirst = waitFirst
        self.work = work
        self.storageFaults = storageFaults
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            if waitFirst {
                do { try await Task.sleep(for: interval) } catch { return }
            }
            while !Task.isCancelled {
                await runOnce()
                do { try await Task.sleep(for: interval) } catch { return }  // cancelled: shut down
            }
        }
    }

    /// The same work, run only in the replica that holds the pass's lease.
    public func leased(by leases: Leases) -> PeriodicWork {
        var copy = self
        copy.leases = leases
        return copy
    }

    /// One pass, its failure reported. Skipped while another replica holds the pass's lease.
    public func runOnce() async {
        do {
            if let leases, try await !leases.takePass(name, interval: interval) {
                logger.debug("pass left to another replica", metadata: ["pass": "\(name)"])
                return
            }
            // Background calls to Prisma give way to partner-facing ones (see PrismaPacer).
            try await PrismaCallPriority.$isBackground.withValue(true) { try await work() }
        } catch where StorageFaults.isStorageFailure(error) {
            storageFaults.record(error, during: name, logger: logger)
        } catch is CancellationError {
            return
        } catch {
            logger.error("background pass failed", metadata: ["pass": "\(name)", "error": "\(error)"])
        }
    }
}
