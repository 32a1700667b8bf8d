import Foundation
import Synchronization
import SejfCore
import SejfStore

/// A best-effort write that records use, not change (`LastAccessedDate`, an access key's
/// `LastUsedDate`). It must be a single statement, so a failed one leaves nothing behind.
typealias Bookkeeping = @Sendable (any SecretStoreWriter) throws -> Void

/// What a read served on an async task leaves for after its synchronous part (see
/// ``SecretsService/serveWithDeferredAudit(_:)``): the audit events to make durable, and its
/// bookkeeping, which rides in the same commit.
///
/// The synchronous part then never waits for a commit, so it can run on the concurrency pool;
/// the response still leaves only once its events are durable.
final class DeferredRequestWork: Sendable {
    /// The request being served on this task, if it defers its durable work.
    @TaskLocal static var current: DeferredRequestWork?

    private struct Pending {
        var events: [AuditEvent] = []
        var bookkeeping: [Bookkeeping] = []
    }

    private let pending = Mutex(Pending())

    func add(_ events: [AuditEvent]) {
        pending.withLock { $0.events += events }
    }

    func add(_ write: @escaping Bookkeeping) {
        pending.withLock { $0.bookkeeping.append(write) }
    }

    /// Makes the events durable, with the bookkeeping in the same commit.
    /// - Throws: why the events could not be made durable.
    func complete(for audit: AuditTrail) async throws {
        let work = pending.withLock { pending in
            defer { pending = Pending() }
            return pending
        }
        try await audit.makeDurable(work.events, bookkeeping: work.bookkeeping)
    }
}

extension SecretsService {
    /// Records use: in the audit commit of a request that defers its work, else now, in a write
    /// of its own. Best effort: a read from a read-only data directory still answers.
    func bookkeep(_ write: @escaping Bookkeeping) {
        if let deferred = DeferredRequestWork.current {
            deferred.add(write)
        } else {
            _ = try? store.write(write)
        }
    }

    /// Serves `body` — a read-only operation, whose only writes are its audit events and
    /// bookkeeping — on the calling task, and then makes its audit events durable (group
    /// commit) without blocking a thread.
    /// - Returns: the body's result, and why its audit events could not be made durable (nil
    ///   when they are). A successful read whose events are not durable must not be served.
    public func serveWithDeferredAudit<T>(_ body: () -> T) async -> (T, auditFailure: (any Error)?) {
        let work = DeferredRequestWork()
        let result = DeferredRequestWork.$current.withValue(work) { body() }
        do {
            try await work.complete(for: audit)
            return (result, nil)
        } catch {
            return (result, error)
        }
    }
}
