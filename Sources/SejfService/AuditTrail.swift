import Foundation
import SejfCore
import SejfStore

/// Appends audit events durably, batching concurrent requests into one transaction (group
/// commit): each caller returns only once its event is committed with `synchronous=FULL`, yet
/// many concurrent reads share one fsync.
final class AuditTrail: Sendable {
    private let committer: GroupCommitter<AuditEvent, Int64>

    init(store: any SecretStore) {
        committer = GroupCommitter { events in
            try store.write { writer in try writer.appendAuditEvents(events).map(\.sequence) }
        }
    }

    /// Makes `event` durable; returns its sequence number.
    @discardableResult
    func record(_ event: AuditEvent) throws -> Int64 {
        try committer.submit(event)
    }
}
