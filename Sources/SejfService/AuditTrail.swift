import Foundation
import Metrics
import Synchronization
import SejfCore
import SejfStore

/// Appends audit events durably, batching concurrent requests into one transaction (group
/// commit): each caller returns only once its event is committed with `synchronous=FULL`, yet
/// many concurrent reads share one fsync.
///
/// Metrics: `sejf_audit_queue_depth` (events waiting for their commit) and
/// `sejf_audit_commit_seconds` (one batch's transaction and fsync).
final class AuditTrail: Sendable {
    private let committer: GroupCommitter<[AuditEvent], [Int64]>
    private let waiting = Mutex(0)
    private let queueDepth = Gauge(label: "sejf_audit_queue_depth")

    init(store: any SecretStore) {
        let commitTime = Metrics.Timer(label: "sejf_audit_commit_seconds")
        committer = GroupCommitter { groups in
            let start = DispatchTime.now().uptimeNanoseconds
            defer { commitTime.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
            var sequences = try store.write { writer in try writer.appendAuditEvents(groups.flatMap { $0 }).map(\.sequence) }[...]
            return groups.map { group in
                defer { sequences = sequences.dropFirst(group.count) }
                return Array(sequences.prefix(group.count))
            }
        }
    }

    /// Makes `event` durable; returns its sequence number.
    @discardableResult
    func record(_ event: AuditEvent) throws -> Int64 {
        try record([event])[0]
    }

    /// Makes `events` durable together, in one commit; returns their sequence numbers.
    @discardableResult
    func record(_ events: [AuditEvent]) throws -> [Int64] {
        queueDepth.record(waiting.withLock { $0 += events.count; return $0 })
        defer { queueDepth.record(waiting.withLock { $0 -= events.count; return $0 }) }
        return try committer.submit(events)
    }
}
