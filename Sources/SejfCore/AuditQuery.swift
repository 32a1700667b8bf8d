/// Which audit events a query is about. Every criterion given must hold; `nil` means any.
///
/// The store turns a filter into SQL for large logs; ``matches(_:)`` is the reference it must
/// agree with.
public struct AuditFilter: Hashable, Sendable {
    /// The environment (region) name.
    public var environment: String?
    /// The principal's name (`""` for failed authentications).
    public var principal: String?
    /// A full secret ARN.
    public var secretArn: String?
    /// An action such as `secretsmanager:GetSecretValue`.
    public var action: String?
    public var outcome: AuditOutcome?
    /// Only events at or after this time.
    public var since: AuditTime?
    /// Only events before this time.
    public var until: AuditTime?

    /// A filter; with no arguments it matches every event.
    public init(environment: String? = nil, principal: String? = nil, secretArn: String? = nil, action: String? = nil,
                outcome: AuditOutcome? = nil, since: AuditTime? = nil, until: AuditTime? = nil) {
        self.environment = environment
        self.principal = principal
        self.secretArn = secretArn
        self.action = action
        self.outcome = outcome
        self.since = since
        self.until = until
    }

    /// Whether `event` meets every criterion. Text compares exactly (case-sensitive).
    public func matches(_ event: AuditEvent) -> Bool {
        if let environment, event.environment != environment { return false }
        if let principal, event.principal != principal { return false }
        if let secretArn, event.secretArn != secretArn { return false }
        if let action, event.action != action { return false }
        if let outcome, event.outcome != outcome { return false }
        if let since, event.time < since { return false }
        if let until, event.time >= until { return false }
        return true
    }
}

/// One row of `sejf audit who-read`: a principal read a secret's value `count` times, last at `lastRead`.
public struct AuditReadSummary: Hashable, Sendable {
    public var principal: String
    public var secretArn: String
    /// How many reads (a secret in a `BatchGetSecretValue` counts once per call).
    public var count: Int
    /// The most recent read.
    public var lastRead: AuditTime

    public init(principal: String, secretArn: String, count: Int, lastRead: AuditTime) {
        self.principal = principal
        self.secretArn = secretArn
        self.count = count
        self.lastRead = lastRead
    }
}

/// One row of `sejf audit stale`: a secret nobody read in the period, and when it was last read
/// before it, if the events given show that.
public struct AuditStaleSecret: Hashable, Sendable {
    public var secretArn: String
    /// The last read before the period, or `nil` when the events given hold none.
    public var lastRead: AuditTime?

    public init(secretArn: String, lastRead: AuditTime?) {
        self.secretArn = secretArn
        self.lastRead = lastRead
    }
}

/// The audit questions people ask, answered over a sequence of events: reference implementations
/// for tests and small logs. The store answers the same questions in SQL for large ones, and must
/// give the same rows in the same order.
///
/// A **read** is an event whose action is one of `readActions` (by default
/// ``AuditAction/valueReads``: `GetSecretValue` and each secret of `BatchGetSecretValue`), whose
/// outcome is ``AuditOutcome/allowed``, and that names a secret. Denied and failed reads revealed
/// nothing and are not reads; list them with an ``AuditFilter`` instead.
public enum AuditQuery {
    /// Who read which secret, how often, and when last: one row per principal and secret.
    ///
    /// ```swift
    /// let since = try AuditTimeBound.parse("7d", now: now)
    /// let rows = AuditQuery.whoRead(events, matching: AuditFilter(environment: "prod", since: since))
    /// ```
    ///
    /// - Returns: rows sorted by secret ARN, then the most recent read first, then principal; text
    ///   in byte order of its UTF-8 (as SQLite's `BINARY` collation sorts).
    public static func whoRead(
        _ events: some Sequence<AuditEvent>, matching filter: AuditFilter = AuditFilter(),
        readActions: Set<String> = AuditAction.valueReads
    ) -> [AuditReadSummary] {
        var rows: [ReadKey: AuditReadSummary] = [:]
        for event in events where filter.matches(event) {
            guard let secretArn = isRead(event, readActions) else { continue }
            let key = ReadKey(principal: event.principal, secretArn: secretArn)
            if var row = rows[key] {
                row.count += 1
                row.lastRead = max(row.lastRead, event.time)
                rows[key] = row
            } else {
                rows[key] = AuditReadSummary(principal: event.principal, secretArn: secretArn, count: 1, lastRead: event.time)
            }
        }
        return rows.values.sorted { a, b in
            if a.secretArn != b.secretArn { return a.secretArn.utf8.lexicographicallyPrecedes(b.secretArn.utf8) }
            if a.lastRead != b.lastRead { return a.lastRead > b.lastRead }
            return a.principal.utf8.lexicographicallyPrecedes(b.principal.utf8)
        }
    }

    /// The secrets of `secretArns` nobody read at or after `since`, in the order given (each once),
    /// with their last read before `since` when `events` hold one.
    ///
    /// ```swift
    /// let unused = AuditQuery.stale(secretArns: prodSecrets.map(\.arn.description), events: events,
    ///                               since: try AuditTimeBound.parse("90d", now: now))
    /// ```
    public static func stale(
        secretArns: some Sequence<String>, events: some Sequence<AuditEvent>, since: AuditTime,
        readActions: Set<String> = AuditAction.valueReads
    ) -> [AuditStaleSecret] {
        var lastRead: [String: AuditTime] = [:]
        for event in events {
            guard let secretArn = isRead(event, readActions) else { continue }
            lastRead[secretArn] = max(lastRead[secretArn] ?? event.time, event.time)
        }
        var seen: Set<String> = []
        var stale: [AuditStaleSecret] = []
        for arn in secretArns where seen.insert(arn).inserted {
            let last = lastRead[arn]
            if let last, last >= since { continue }
            stale.append(AuditStaleSecret(secretArn: arn, lastRead: last))
        }
        return stale
    }

    struct ReadKey: Hashable {
        var principal: String
        var secretArn: String
    }

    /// The secret `event` read, if it is a read.
    static func isRead(_ event: AuditEvent, _ readActions: Set<String>) -> String? {
        guard event.outcome == .allowed, readActions.contains(event.action) else { return nil }
        return event.secretArn
    }
}
