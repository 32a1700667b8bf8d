import Foundation
import Metrics
import Synchronization
import SejfCore
import SejfStore

/// Appends audit events durably, batching concurrent requests into one transaction (group
/// commit): each caller returns only once its event is committed with `synchronous=FULL`, yet
/// many concurrent reads share one fsync.
///
/// Inside ``DeferredRequestWork/serve(_:)`` the events are collected instead, and made durable
/// by ``DeferredRequestWork/complete(for:)`` without blocking a thread.
///
/// Metrics: `sejf_audit_queue_depth` (events waiting for their commit) and
/// `sejf_audit_commit_seconds` (one batch's transaction and fsync).
final class AuditTrail: Sendable {
    /// One caller's events, and the bookkeeping that rides in their commit.
    private struct Batch: Sendable {
        var events: [AuditEvent]
        var bookkeeping: [Bookkeeping] = []
    }

    private let committer: GroupCommitter<Batch, Void>
    private let waiting = Mutex(0)
    private let queueDepth = Gauge(label: "sejf_audit_queue_depth")

    init(store: any SecretStore) {
        let commitTime = Metrics.Timer(label: "sejf_audit_commit_seconds")
        committer = GroupCommitter { groups in
            let start = DispatchTime.now().uptimeNanoseconds
            defer { commitTime.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
            try store.write { writer in
                _ = try writer.appendAuditEvents(groups.flatMap(\.events))
                for write in groups.flatMap(\.bookkeeping) { try? write(writer) }
            }
            return groups.map { _ in () }
        }
    }

    /// Makes `events` durable together, in one commit — or, for a request served by
    /// ``DeferredRequestWork``, leaves them to it.
    func record(_ events: AuditEvent...) throws {
        try record(events)
    }

    func record(_ events: [AuditEvent]) throws {
        if let deferred = DeferredRequestWork.current {
            deferred.add(events)
            return
        }
        changeWaiting(by: events.count)
        defer { changeWaiting(by: -events.count) }
        try committer.submit(Batch(events: events))
    }

    /// Makes `events` durable together, in one commit with `bookkeeping`, suspending (not
    /// blocking a thread) meanwhile.
    func makeDurable(_ events: [AuditEvent], bookkeeping: [Bookkeeping]) async throws {
        guard !events.isEmpty || !bookkeeping.isEmpty else { return }
        changeWaiting(by: events.count)
        defer { changeWaiting(by: -events.count) }
        try await committer.submit(Batch(events: events, bookkeeping: bookkeeping))
    }

    private func changeWaiting(by count: Int) {
        queueDepth.record(waiting.withLock { $0 += count; return $0 })
    }
}
