import HTTPServer
import Prometheus
import Synchronization

/// Request counts and latency histograms by route and status, exposed in Prometheus text format.
///
/// Labels use the matched route *pattern* (`/v1/databases/:id`), never the raw path, so the
/// number of series stays bounded and no id or token becomes a label.
public struct HTTPMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The series already made, by labels: the registry builds a metric's name and takes its own
    /// lock on every `make…` call, which cost 6 % of an API read when done per request.
    private let series = Series()

    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Records one answered request.
    public func record(_ access: AccessRecord) {
        let method = HTTPMetrics.knownMethods.contains(access.method) ? access.method : "OTHER"
        let key = Series.Key(method: method, route: access.route, status: access.status)
        let (counter, histogram) = series.instruments(key) {
            (registry.makeCounter(
                descriptor: HTTPMetrics.requests,
                labels: [("method", method), ("route", access.route), ("status", String(access.status))]),
             registry.makeDurationHistogram(
                descriptor: HTTPMetrics.latency, labels: [("method", method), ("route", access.route)],
                buckets: HTTPMetrics.buckets))
        }
        counter.increment()
        histogram.record(access.duration)
    }

    /// The instruments of each label set, made once. Routes are patterns and methods a fixed set,
    /// so the map stays as small as the registry's own.
    private final class Series: Sendable {
        struct Key: Hashable {
            let method: String
            let route: String
            let status: Int
        }

        private let made = Mutex<[Key: (Counter, DurationHistogram)]>([:])

        func instruments(_ key: Key, make: () -> (Counter, DurationHistogram)) -> (Counter, DurationHistogram) {
            if let found = made.withLock({ $0[key] }) { return found }
            let fresh = make()  // the registry returns the same series for the same labels
            made.withLock { $0[key] = fresh }
            return fresh
        }
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    static var requests: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "claimgate", subsystem: "http", metricName: "requests", unitName: "total",
        helpText: "HTTP requests answered, by method, route pattern and status.") }
    static var latency: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "claimgate", subsystem: "http", metricName: "request_duration", unitName: "seconds",
        helpText: "Time from the end of the request head to the queued response.") }

    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
}
