import Logging
import Prometheus
import Storage

/// Where storage failures are counted and logged, for requests and background work alike.
///
/// A storage failure is never turned into "not found" or a wrong state: it reaches the caller,
/// which answers `503 storage-unavailable` (API), an error page (browser), or retries at its next
/// pass (background work) — and each one passes through here first.
public struct StorageFaults: Sendable {
    let counter: Counter

    public init(registry: PrometheusCollectorRegistry) {
        counter = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "claimgate", subsystem: "storage", metricName: "errors", unitName: "total",
            helpText: "Storage operations that failed (disk full, I/O error, locked, corrupt row…)."))
    }

    /// Whether `error` is a failure of the storage engine (as opposed to a domain refusal).
    public static func isStorageFailure(_ error: any Error) -> Bool {
        error is SQLiteError || error is PostgresError || error is StorageError
    }

    /// Counts and logs one storage failure.
    public func record(_ error: any Error, during operation: String, logger: Logger) {
        counter.increment()
        logger.error("storage failure", metadata: ["operation": "\(operation)", "error": "\(error)"])
    }
}
