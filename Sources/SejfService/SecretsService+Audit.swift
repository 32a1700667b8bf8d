import Foundation
import SejfCore
import SejfStore

/// A secret nobody read in a period, for `sejf audit stale`.
public struct StaleSecret: Codable, Sendable, Equatable {
    public var arn: String
    public var name: String
    public var lastRead: AuditTime?
}

/// Questions about the audit trail: administration of the data directory (embedded CLI only).
extension SecretsService {
    /// Events matching `filter`, newest first.
    public func auditEvents(matching filter: AuditFilter, limit: Int = 1000) throws -> [StoredAuditEvent] {
        try store.read { try $0.auditEvents(matching: filter, limit: limit) }
    }

    /// Walks the whole chain from its start (the prune checkpoint, or the first event), in pages.
    public func verifyAudit(pageSize: Int = 10_000) throws -> AuditVerification {
        let (checkpoint, hash) = try store.read { (try $0.auditCheckpoint(), try $0.auditHasher()) }
        var verifier = AuditChainVerifier(startingAfter: checkpoint)
        var after = checkpoint?.sequence ?? 0
        while true {
            // Rows are read by sequence; a row moved out of order still breaks its neighbours' links.
            let page = try store.read { try $0.auditEvents(after: after, limit: pageSize) }
            for event in page where !verifier.consume(event, hash: hash) { return verifier.result }
            guard let last = page.last, page.count == pageSize else { return verifier.result }
            after = last.sequence
        }
    }

    /// The newest event's checkpoint: export it, and compare later to catch a truncated tail.
    public func auditHead() throws -> AuditCheckpoint {
        try store.read { try $0.auditHead() }
    }

    /// Compares an exported checkpoint with the chain as it is now.
    public func compareAudit(with exported: AuditCheckpoint) throws -> AuditComparison {
        try store.read { reader in
            let start = try reader.auditCheckpoint()
            let around = try reader.auditEvents(after: max(exported.sequence - 1, start?.sequence ?? 0), limit: 1)
            let head = try reader.auditHead()
            let newest = try reader.auditEvents(after: max(head.sequence - 1, 0), limit: 1)
            return AuditChain.compare(exported: exported, with: around + newest.filter { !around.contains($0) }, startingAfter: start)
        }
    }

    /// `who-read`: principal × secret × count × last read, over allowed value reads since `since`.
    public func whoRead(environment: EnvironmentName, since: AuditTime) throws -> [AuditReadSummary] {
        try store.read { try $0.auditValueReads(environment: environment.rawValue, since: since) }
    }

    /// `stale`: secrets of the environment that nobody read since `since` — candidates for removal.
    public func staleSecrets(environment: EnvironmentName, since: AuditTime) throws -> [StaleSecret] {
        try store.read { reader in
            try reader.secrets(in: environment).filter { $0.deletion == nil }.compactMap { secret in
                let last = try reader.auditLastValueRead(environment: environment.rawValue, secretArn: secret.arn.description)
                guard last.map({ $0 < since }) ?? true else { return nil }
                return StaleSecret(arn: secret.arn.description, name: secret.name, lastRead: last)
            }
        }
    }

    /// Streams events matching `filter`, oldest first, one export line each.
    public func exportAudit(matching filter: AuditFilter, pageSize: Int = 10_000, _ write: (String) -> Void) throws {
        var after: Int64 = 0
        while true {
            let page = try store.read { try $0.auditEvents(after: after, limit: pageSize) }
            for event in page where filter.matches(event.event) { write(AuditExport.line(event)) }
            guard let last = page.last, page.count == pageSize else { return }
            after = last.sequence
        }
    }

    /// Deletes events older than `before`, keeping a checkpoint so the rest still verifies.
    /// Refused when the chain does not verify: pruning must not hide tampering.
    public func pruneAudit(before: AuditTime) throws -> AuditCheckpoint? {
        let verification = try verifyAudit()
        guard verification.isIntact else {
            throw SejfError(.invalidRequest, "The audit trail does not verify (\(verification.message)); refusing to prune it.")
        }
        return try store.write { try $0.pruneAudit(before: before) }
    }
}
