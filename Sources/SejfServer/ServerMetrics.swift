import Foundation
import Metrics
import Prometheus
import SejfService
import Synchronization

/// The server's metrics, in Prometheus text format on `GET /metrics` (swift-metrics with the
/// swift-prometheus backend). Labels are small, bounded sets: operation names, outcomes, AWS
/// error codes, environments, rotators — never a secret name or a principal.
///
/// - `sejf_requests_total{operation,outcome}`, `sejf_request_duration_seconds{operation,outcome}`
///   (histogram), `sejf_request_errors_total{code}`, `sejf_requests_in_flight`;
/// - `sejf_audit_queue_depth`, `sejf_audit_commit_seconds` (from the audit trail);
/// - `sejf_database_bytes`, `sejf_secrets{environment}` (measured at each scrape);
/// - `sejf_rotations_total{rotator,result}` (from the rotation engine);
/// - `sejf_sigv4_failures_total{reason}` (from the authenticator).
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let inFlight: Metrics.Gauge
    private let counter = Mutex(0)
    /// The request counter and timer of each operation and outcome, made once each: a lookup in
    /// the registry per request cost more than recording.
    private let requestMetrics = Mutex<[String: (count: Metrics.Counter, duration: Metrics.Timer)]>([:])

    /// Makes this registry the process's metrics backend (once per process).
    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        inFlight = Gauge(label: "sejf_requests_in_flight")  // made after the bootstrap, so it reaches the registry
        inFlight.record(0)
    }

    /// Brackets one API request: in-flight while `body` runs, then count, latency and error code.
    func observe<T>(_ body: () async throws -> (T, operation: String?, errorCode: String?)) async rethrows -> T {
        inFlight.record(counter.withLock { $0 += 1; return $0 })
        let start = ContinuousClock.now
        defer { inFlight.record(counter.withLock { $0 -= 1; return $0 }) }
        let (result, operation, errorCode) = try await body()
        let metrics = requestMetrics(operation: operation ?? "unknown", outcome: errorCode == nil ? "success" : "error")
        metrics.count.increment()
        metrics.duration.recordInterval(since: start)
        if let errorCode { Counter(label: "sejf_request_errors_total", dimensions: [("code", errorCode)]).increment() }
        return result
    }

    private func requestMetrics(operation: String, outcome: String) -> (count: Metrics.Counter, duration: Metrics.Timer) {
        requestMetrics.withLock { made in
            let key = operation + " " + outcome
            if let metrics = made[key] { return metrics }
            let dimensions = [("operation", operation), ("outcome", outcome)]
            let metrics = (Counter(label: "sejf_requests_total", dimensions: dimensions),
                           Metrics.Timer(label: "sejf_request_duration_seconds", dimensions: dimensions))
            made[key] = metrics
            return metrics
        }
    }

    /// The text of `GET /metrics`, with the gauges measured now.
    func render(service: SecretsService, databaseFiles: [String]) -> String {
        let bytes = databaseFiles.compactMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int }.reduce(0, +)
        Gauge(label: "sejf_database_bytes").record(bytes)
        for (environment, count) in (try? service.secretCounts()) ?? [:] {
            Gauge(label: "sejf_secrets", dimensions: [("environment", environment)]).record(count)
        }
        return registry.emitToString()
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
