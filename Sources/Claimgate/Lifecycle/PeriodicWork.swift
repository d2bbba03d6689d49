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

    /// One pass, its failure reported.
    public func runOnce() async {
        do {
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
