/// The tamper-evident chain of audit events: building it, verifying it, and comparing it with
/// checkpoints taken earlier.
///
/// Event *n* stores `hash(n) = H(hash(n-1) ‖ canonical encoding of event n with sequence n)`,
/// where `hash(0)` is 32 zero bytes (or, after pruning, the hash of the last pruned event, kept
/// as an ``AuditCheckpoint``). `H` is keyed BLAKE2b-256 under the audit key, which lives beside
/// the environment keys, outside the database; it is passed in as a closure, because this module
/// does no cryptography:
///
/// ```swift
/// let blake2b = { (bytes: [UInt8]) in Hash.blake2b(bytes, key: auditKey) }   // SejfCrypto, in the store
/// let stored = AuditChain.append(event, after: head, hash: blake2b)
/// let report = AuditChain.verify(events: rows, startingAfter: pruneCheckpoint, hash: blake2b)
/// if let failure = report.firstBreak { print(failure.message) }
/// ```
///
/// What the chain proves: editing, deleting, inserting or reordering events breaks it, and
/// someone who holds the database but not the key cannot write a chain that verifies. What it
/// cannot prove on its own: that the newest events were not cut off (the remaining chain is still
/// valid) — compare with an exported checkpoint for that (``compare(exported:with:startingAfter:)``).
/// A prune that was not recorded is likewise only caught by an exported checkpoint older than it.
public enum AuditChain {
    /// The length of every chain hash, in bytes (BLAKE2b-256).
    public static let hashLength = 32

    /// The previous hash of event 1: 32 zero bytes.
    public static let genesisHash = [UInt8](repeating: 0, count: hashLength)

    /// The chain hash of `event` numbered `sequence` after `previousHash`:
    /// `hash(previousHash ‖ event.canonicalEncoding(sequence:))`.
    ///
    /// - Parameter hash: keyed BLAKE2b-256 under the audit key; must return ``hashLength`` bytes.
    public static func link(
        _ event: AuditEvent, sequence: Int64, after previousHash: [UInt8],
        hash: ([UInt8]) throws -> [UInt8]
    ) rethrows -> [UInt8] {
        try hash(previousHash + event.canonicalEncoding(sequence: sequence))
    }

    /// Chains `event` after `head` (the newest stored event's checkpoint, or the prune checkpoint,
    /// or ``AuditCheckpoint/genesis`` for an empty log): sequence `head.sequence + 1`.
    ///
    /// This is what the audit writer calls, in order, for each event of a group commit.
    public static func append(
        _ event: AuditEvent, after head: AuditCheckpoint, hash: ([UInt8]) throws -> [UInt8]
    ) rethrows -> StoredAuditEvent {
        let sequence = head.sequence + 1
        return StoredAuditEvent(sequence: sequence, event: event,
                                hash: try link(event, sequence: sequence, after: head.hash, hash: hash))
    }

    /// Chains `events` in order after `checkpoint` (from the start when `nil`): a reference
    /// writer for tests and small sets.
    public static func build(
        _ events: some Sequence<AuditEvent>, startingAfter checkpoint: AuditCheckpoint? = nil,
        hash: ([UInt8]) throws -> [UInt8]
    ) rethrows -> [StoredAuditEvent] {
        var head = checkpoint ?? .genesis
        var chain: [StoredAuditEvent] = []
        for event in events {
            let stored = try append(event, after: head, hash: hash)
            chain.append(stored)
            head = stored.checkpoint
        }
        return chain
    }

    /// Walks `events` in the order given and reports the first break in the chain.
    ///
    /// Pass the stored events in the order the store keeps them (by sequence number, or in
    /// insertion order), starting with the first one after `checkpoint`. The walk expects
    /// sequence numbers `checkpoint.sequence + 1`, `+ 2`, … (1, 2, … without a checkpoint) and
    /// recomputes each hash from the previous one:
    ///
    /// - a number higher than expected is a **deletion** of the events in between — or, when the
    ///   expected event turns up later in the walk, a **reordering**. Either way the expected
    ///   number is reported;
    /// - a number lower than expected is a number seen already: an **insertion**;
    /// - a hash that does not match at event *n* is an **edit** of event *n* — or of an event
    ///   before it whose hash was recomputed with the key, which only moves the break to *n*.
    ///
    /// The truncation of the newest events is not a break of the chain: compare with an exported
    /// checkpoint to catch it. To verify rows as they stream from a database cursor, use
    /// ``AuditChainVerifier``, which this wraps.
    ///
    /// - Parameters:
    ///   - checkpoint: where the stored events begin after a prune; `nil` when nothing was pruned.
    ///   - hash: keyed BLAKE2b-256 under the audit key.
    public static func verify(
        events: some Sequence<StoredAuditEvent>, startingAfter checkpoint: AuditCheckpoint? = nil,
        hash: ([UInt8]) throws -> [UInt8]
    ) rethrows -> AuditVerification {
        var verifier = AuditChainVerifier(startingAfter: checkpoint)
        for stored in events {
            guard try verifier.consume(stored, hash: hash) else { break }
        }
        return verifier.result
    }

    /// Compares a checkpoint exported earlier with the log as it is now, to catch the truncation
    /// (or rewriting) of events the checkpoint vouched for.
    ///
    /// `events` must include the stored event numbered `exported.sequence`, if the log still has
    /// it, and the newest stored event; it may include any others (the whole log, for small sets).
    /// `checkpoint` is the log's prune checkpoint, if it was ever pruned.
    ///
    /// Run ``verify(events:startingAfter:hash:)`` too: this checks one link against the
    /// checkpoint, `verify` checks every link between them.
    public static func compare(
        exported: AuditCheckpoint, with events: some Sequence<StoredAuditEvent>,
        startingAfter checkpoint: AuditCheckpoint? = nil
    ) -> AuditComparison {
        let start = checkpoint ?? .genesis
        if exported.sequence < start.sequence {
            return .pruned(checkpoint: exported.sequence, prunedThrough: start.sequence)
        }
        var newest = start.sequence
        var match: [UInt8]? = exported.sequence == start.sequence ? start.hash : nil
        for stored in events {
            newest = max(newest, stored.sequence)
            if match == nil, stored.sequence == exported.sequence { match = stored.hash }
        }
        guard let match else {
            return newest < exported.sequence
                ? .truncated(newest: newest, checkpoint: exported.sequence)
                : .missing(checkpoint: exported.sequence)
        }
        return constantTimeEquals(match, exported.hash) ? .matches(newest: newest) : .diverged(checkpoint: exported.sequence)
    }

    /// The checkpoint to keep when pruning the events older than `cutoff`: the last event of the
    /// longest run, from the start, whose times are all before `cutoff` — or `nil` when the first
    /// event is not before it (nothing to prune).
    ///
    /// Pruning deletes the events up to and including the checkpoint's sequence number and keeps
    /// the checkpoint, so the rest still verifies. The run stops at the first event at or after
    /// the cutoff even if a later one is older (a clock that stepped back): the chain can only be
    /// cut at one place. Verify the events before pruning them — a prune keeps no evidence of
    /// what the pruned events were.
    public static func pruneCheckpoint(
        events: some Sequence<StoredAuditEvent>, before cutoff: AuditTime
    ) -> AuditCheckpoint? {
        var last: AuditCheckpoint?
        for stored in events {
            guard stored.event.time < cutoff else { break }
            last = stored.checkpoint
        }
        return last
    }

    /// Compares two byte strings in time that depends on their lengths only.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

/// ``AuditChain/verify(events:startingAfter:hash:)`` one event at a time, for rows streamed
/// from a database cursor rather than held in memory.
///
/// ```swift
/// var verifier = AuditChainVerifier(startingAfter: pruneCheckpoint)
/// while let row = try cursor.next() {
///     guard try verifier.consume(row, hash: blake2b) else { break }
/// }
/// print(verifier.result.message)
/// ```
public struct AuditChainVerifier: Sendable {
    /// A jump forward from `expected` to `found`: a deletion, unless `expected` turns up later.
    private var gap: (expected: Int64, found: Int64)?
    private var start: AuditCheckpoint
    private var head: AuditCheckpoint
    private var firstBreak: AuditChainBreak?

    /// A verifier expecting event `checkpoint.sequence + 1` first (event 1 when `nil`).
    public init(startingAfter checkpoint: AuditCheckpoint? = nil) {
        start = checkpoint ?? .genesis
        head = start
    }

    /// Checks the next stored event.
    ///
    /// - Returns: whether to go on: `false` once the result is settled. After a jump forward in
    ///   the numbering it stays `true` — keep feeding to the end, so a reordering (the missing
    ///   event comes later) is told apart from a deletion.
    public mutating func consume(
        _ stored: StoredAuditEvent, hash: ([UInt8]) throws -> [UInt8]
    ) rethrows -> Bool {
        guard firstBreak == nil else { return false }
        if let gap {
            guard stored.sequence == gap.expected else { return true }
            firstBreak = AuditChainBreak(sequence: gap.expected, kind: .reordered(foundInstead: gap.found))
            return false
        }
        let expected = head.sequence + 1
        if stored.sequence > expected {
            gap = (expected, stored.sequence)
            return true
        }
        if stored.sequence < expected {
            firstBreak = AuditChainBreak(sequence: stored.sequence, kind: .inserted(after: head.sequence))
            return false
        }
        let computed = try AuditChain.link(stored.event, sequence: stored.sequence, after: head.hash, hash: hash)
        guard AuditChain.constantTimeEquals(computed, stored.hash) else {
            firstBreak = AuditChainBreak(sequence: stored.sequence, kind: .edited)
            return false
        }
        head = stored.checkpoint
        return true
    }

    /// The verdict on the events consumed so far, taken as the whole log.
    public var result: AuditVerification {
        var firstBreak = firstBreak
        if firstBreak == nil, let gap {
            firstBreak = AuditChainBreak(sequence: gap.expected, kind: .deleted(through: gap.found - 1))
        }
        return AuditVerification(start: start, head: head, firstBreak: firstBreak)
    }
}

/// A point in the audit chain: an event's sequence number, its chain hash and its time.
///
/// Checkpoints serve twice: the store keeps one when it prunes old events (the chain continues
/// from its hash), and operators export them (`sejf audit checkpoint`) to compare later with
/// ``AuditChain/compare(exported:with:startingAfter:)``, which catches a truncated tail.
/// It encodes (`Codable`) as `{"sequence": 1042, "hash": "<64 hex digits>", "time": "2026-11-01T10:00:00.000Z"}`.
public struct AuditCheckpoint: Hashable, Sendable, Codable {
    /// The sequence number of the event the checkpoint stands for; 0 for the empty log.
    public var sequence: Int64
    /// That event's chain hash (32 bytes).
    public var hash: [UInt8]
    /// That event's time.
    public var time: AuditTime

    /// A checkpoint; usually taken from an event with ``StoredAuditEvent/checkpoint``.
    public init(sequence: Int64, hash: [UInt8], time: AuditTime) {
        self.sequence = sequence
        self.hash = hash
        self.time = time
    }

    /// The start of every chain: sequence 0, 32 zero bytes, time 0.
    public static let genesis = AuditCheckpoint(sequence: 0, hash: AuditChain.genesisHash, time: AuditTime(milliseconds: 0))

    enum CodingKeys: String, CodingKey {
        case sequence, hash, time
    }

    /// - Throws: `DecodingError` for a missing field or a `hash` that is not 64 lower-case hex digits.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sequence = try c.decode(Int64.self, forKey: .sequence)
        hash = try AuditHex.decodeHash(c, forKey: .hash)
        time = try c.decode(AuditTime.self, forKey: .time)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sequence, forKey: .sequence)
        try c.encode(AuditHex.encode(hash), forKey: .hash)
        try c.encode(time, forKey: .time)
    }
}

/// The answer of ``AuditChain/verify(events:startingAfter:hash:)``.
public struct AuditVerification: Equatable, Sendable, CustomStringConvertible {
    /// Where the walk began: the prune checkpoint, or ``AuditCheckpoint/genesis``.
    public var start: AuditCheckpoint
    /// The last event that verified (``start`` when none did). When the chain is intact, this is
    /// the log's newest event: the checkpoint to export.
    public var head: AuditCheckpoint
    /// The first break, or `nil` when every event verified.
    public var firstBreak: AuditChainBreak?

    /// A verdict (``AuditChain/verify(events:startingAfter:hash:)`` makes them).
    public init(start: AuditCheckpoint, head: AuditCheckpoint, firstBreak: AuditChainBreak?) {
        self.start = start
        self.head = head
        self.firstBreak = firstBreak
    }

    /// Whether every event verified (the tail may still have been cut off: see ``AuditChain/compare(exported:with:startingAfter:)``).
    public var isIntact: Bool { firstBreak == nil }

    /// How many events verified before the end or the first break.
    public var verifiedCount: Int64 { head.sequence - start.sequence }

    /// One line for people: `The audit log is intact: events 1 to 250 verified.`, or the break's message.
    public var message: String {
        if let firstBreak { return firstBreak.message }
        let after = start.sequence == 0 ? "" : " (after the checkpoint at event \(start.sequence))"
        switch verifiedCount {
        case 0: return "The audit log is intact: it holds no events\(after)."
        case 1: return "The audit log is intact: event \(head.sequence) verified\(after)."
        default: return "The audit log is intact: events \(start.sequence + 1) to \(head.sequence) verified\(after)."
        }
    }

    public var description: String { message }
}

/// The first place where the audit chain does not hold.
public struct AuditChainBreak: Equatable, Sendable, CustomStringConvertible {
    /// What the walk found.
    public enum Kind: Equatable, Sendable {
        /// Event ``AuditChainBreak/sequence`` does not match its stored hash: it was edited, or an
        /// event before it was replaced and its hash recomputed with the key (breaking this link).
        case edited
        /// Events ``AuditChainBreak/sequence`` through `through` are missing: deleted.
        case deleted(through: Int64)
        /// An event numbered ``AuditChainBreak/sequence`` appears again after event `after`: inserted.
        case inserted(after: Int64)
        /// Event `foundInstead` stands where event ``AuditChainBreak/sequence`` belongs, and event
        /// ``AuditChainBreak/sequence`` comes later: the events were reordered.
        case reordered(foundInstead: Int64)
    }

    /// The sequence number of the first event that does not hold.
    public var sequence: Int64
    /// What happened there.
    public var kind: Kind

    /// A break at `sequence`.
    public init(sequence: Int64, kind: Kind) {
        self.sequence = sequence
        self.kind = kind
    }

    /// One line for people, naming the event and what happened to it.
    public var message: String {
        switch kind {
        case .edited:
            let before = sequence > 1
                ? ", or event \(sequence - 1) before it was replaced together with its hash"
                : ""
            return "The audit log was tampered with at event \(sequence): it does not match its hash. "
                + "Event \(sequence) was edited\(before)."
        case .deleted(let through) where through == sequence:
            return "The audit log was tampered with at event \(sequence): event \(sequence) is missing (deleted)."
        case .deleted(let through):
            return "The audit log was tampered with at event \(sequence): events \(sequence) to \(through) are missing (deleted)."
        case .inserted(let after):
            return "The audit log was tampered with at event \(sequence): a second event \(sequence) appears "
                + (after == 0 ? "at the start (inserted)." : "after event \(after) (inserted).")
        case .reordered(let found):
            return "The audit log was tampered with at event \(sequence): event \(found) stands where event \(sequence) "
                + "belongs, and event \(sequence) comes later (reordered)."
        }
    }

    public var description: String { message }
}

/// The answer of ``AuditChain/compare(exported:with:startingAfter:)``.
public enum AuditComparison: Equatable, Sendable, CustomStringConvertible {
    /// The log still holds the checkpoint's event with the same hash; its newest event is `newest`.
    case matches(newest: Int64)
    /// The log ends at event `newest`, before the checkpoint's event `checkpoint`: its tail was cut off.
    case truncated(newest: Int64, checkpoint: Int64)
    /// The log holds an event numbered `checkpoint` but with another hash: the history up to it
    /// was rewritten (or cut off and written again), or the checkpoint comes from another log.
    case diverged(checkpoint: Int64)
    /// The log holds events after `checkpoint` but not that event itself: it was deleted.
    case missing(checkpoint: Int64)
    /// The checkpoint's event `checkpoint` was pruned (the log now starts after `prunedThrough`),
    /// so this checkpoint can no longer be compared. A prune nobody ordered is itself a finding.
    case pruned(checkpoint: Int64, prunedThrough: Int64)

    /// Whether the log is consistent with the checkpoint.
    public var isConsistent: Bool {
        if case .matches = self { true } else { false }
    }

    /// One line for people.
    public var message: String {
        switch self {
        case .matches(let newest):
            "The audit log matches the checkpoint; its newest event is \(newest)."
        case .truncated(let newest, let checkpoint):
            "The audit log was truncated: it ends at event \(newest), but the checkpoint vouches for events up to \(checkpoint)."
        case .diverged(let checkpoint):
            "The audit log diverged from the checkpoint: event \(checkpoint) has another hash, so the log up to it was rewritten, or the checkpoint is from another log."
        case .missing(let checkpoint):
            "The audit log no longer holds event \(checkpoint), the checkpoint's event, though it holds later ones: it was deleted."
        case .pruned(let checkpoint, let prunedThrough):
            "The checkpoint's event \(checkpoint) was pruned (the log was pruned through event \(prunedThrough)), so it cannot be compared."
        }
    }

    public var description: String { message }
}
