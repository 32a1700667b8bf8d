/// One entry of the audit trail: who did what to which secret, when, from where, and how it ended.
///
/// One event is written for every request that reads or changes a secret (one per secret of a
/// `BatchGetSecretValue`), for every denial, and for every failed authentication that names a
/// known access key. An event **never** carries a secret value.
///
/// The store assigns each event a sequence number and chains it to the previous one with a keyed
/// hash (``AuditChain``); the event plus those two is a ``StoredAuditEvent``.
///
/// ```swift
/// let event = AuditEvent(
///     time: AuditTime(secondsSince1970: now), environment: "prod", principal: "api",
///     accessKeyId: "AKIAEXAMPLE", action: AuditAction.getSecretValue,
///     secretArn: arn.description, versionId: versionId, versionStages: ["AWSCURRENT"],
///     outcome: .allowed, sourceAddress: "10.0.3.7", userAgent: "Boto3/1.43.11", requestId: requestId)
/// ```
///
/// Text fields are stored exactly as given (no normalisation): the hash covers their UTF-8 bytes,
/// so a store must give back the same bytes it was given.
public struct AuditEvent: Hashable, Sendable, Codable {
    /// When the request was handled, to the millisecond.
    public var time: AuditTime
    /// The environment (the request's AWS region). A string, not an ``EnvironmentName``: a failed
    /// authentication is recorded even when it names an environment that does not exist.
    public var environment: String
    /// The principal's name; for a failed authentication, the owner of the access key it named
    /// (the key was not proven, so this says whose key was tried, not who tried it).
    public var principal: String
    /// The access key that signed the request, if any (none for the embedded CLI).
    public var accessKeyId: String?
    /// What was attempted: an IAM-style action such as `secretsmanager:GetSecretValue`, or
    /// `sejf:Authenticate` for a failed authentication. See ``AuditAction``.
    public var action: String
    /// The secret's full ARN, when the request concerned one secret that exists.
    public var secretArn: String?
    /// The version read or written, when there is one.
    public var versionId: String?
    /// The staging labels of that version (or the labels moved), in the order given.
    public var versionStages: [String]
    /// Whether the request was allowed, denied, or failed.
    public var outcome: AuditOutcome
    /// The AWS error code (`__type`) returned, for a denial or an error.
    public var errorCode: String?
    /// The client's address (`local` for the embedded CLI).
    public var sourceAddress: String
    /// The client's `User-Agent`, cut to ``maxUserAgentBytes``.
    public var userAgent: String
    /// The request id echoed to the client.
    public var requestId: String

    /// The longest `User-Agent` kept, in UTF-8 bytes: the header is the client's to choose, and
    /// the audit trail should not grow by whatever a client sends.
    public static let maxUserAgentBytes = 1024

    /// An event, every field as given except `userAgent`, cut to ``maxUserAgentBytes`` (at a
    /// character boundary).
    public init(time: AuditTime, environment: String, principal: String, accessKeyId: String? = nil,
                action: String, secretArn: String? = nil, versionId: String? = nil, versionStages: [String] = [],
                outcome: AuditOutcome, errorCode: String? = nil,
                sourceAddress: String, userAgent: String, requestId: String) {
        self.time = time
        self.environment = environment
        self.principal = principal
        self.accessKeyId = accessKeyId
        self.action = action
        self.secretArn = secretArn
        self.versionId = versionId
        self.versionStages = versionStages
        self.outcome = outcome
        self.errorCode = errorCode
        self.sourceAddress = sourceAddress
        self.userAgent = userAgent.prefix(utf8Bytes: Self.maxUserAgentBytes)
        self.requestId = requestId
    }

    /// The JSON field names of the export line (``StoredAuditEvent`` adds `sequence` and `hash`).
    enum CodingKeys: String, CodingKey, CaseIterable {
        case time, environment, principal, accessKeyId, action, secretArn, versionId, versionStages
        case outcome, errorCode, sourceAddress, userAgent, requestId
    }

    /// Decodes the export fields. Every field must be present; optional ones may be `null`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        time = try c.decode(AuditTime.self, forKey: .time)
        environment = try c.decode(String.self, forKey: .environment)
        principal = try c.decode(String.self, forKey: .principal)
        accessKeyId = try c.decode(String?.self, forKey: .accessKeyId)
        action = try c.decode(String.self, forKey: .action)
        secretArn = try c.decode(String?.self, forKey: .secretArn)
        versionId = try c.decode(String?.self, forKey: .versionId)
        versionStages = try c.decode([String].self, forKey: .versionStages)
        outcome = try c.decode(AuditOutcome.self, forKey: .outcome)
        errorCode = try c.decode(String?.self, forKey: .errorCode)
        sourceAddress = try c.decode(String.self, forKey: .sourceAddress)
        userAgent = try c.decode(String.self, forKey: .userAgent)
        requestId = try c.decode(String.self, forKey: .requestId)
    }

    /// Encodes every export field; absent optional ones as `null`, so every line has the same keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(time, forKey: .time)
        try c.encode(environment, forKey: .environment)
        try c.encode(principal, forKey: .principal)
        try c.encode(accessKeyId, forKey: .accessKeyId)
        try c.encode(action, forKey: .action)
        try c.encode(secretArn, forKey: .secretArn)
        try c.encode(versionId, forKey: .versionId)
        try c.encode(versionStages, forKey: .versionStages)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(errorCode, forKey: .errorCode)
        try c.encode(sourceAddress, forKey: .sourceAddress)
        try c.encode(userAgent, forKey: .userAgent)
        try c.encode(requestId, forKey: .requestId)
    }
}

/// How a request ended.
public enum AuditOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    /// Authorized and served.
    case allowed
    /// Refused: authorization denied it, or authentication failed.
    case denied
    /// Authorized but failed (not found, invalid request, internal error…); ``AuditEvent/errorCode`` says how.
    case error
}

/// Action names the audit core itself relies on. Other actions are the IAM names of the
/// operations (`secretsmanager:` and the operation, as authorization sees them).
public enum AuditAction {
    /// `GetSecretValue`: one secret's value.
    public static let getSecretValue = "secretsmanager:GetSecretValue"
    /// `BatchGetSecretValue`: the batch call itself (no ARN); each secret it returns is recorded
    /// as its own `GetSecretValue` event with that secret's ARN.
    public static let batchGetSecretValue = "secretsmanager:BatchGetSecretValue"
    /// A failed authentication (bad signature, expired request, disabled key) naming a known key.
    public static let authenticate = "sejf:Authenticate"
    /// `sejf render`: a secret version used to render an app (beside its GetSecretValue read).
    public static let render = "sejf:Render"
    /// `sejf run`: a secret version handed to a command's environment (beside its read).
    public static let run = "sejf:Run"
    /// The steps of AWS's rotation protocol, as rotation events name them.
    public static let rotationSteps = ["createSecret", "setSecret", "testSecret", "finishSecret"]

    /// One step of a rotation (`sejf:Rotation.setSecret`) or of a rollback (`sejf:Rollback.setSecret`).
    public static func rotationStep(_ step: String, rollback: Bool) -> String {
        (rollback ? "sejf:Rollback." : "sejf:Rotation.") + step
    }

    /// `sejf key rotate`: an environment's new key-encryption key became its active key (the event's
    /// `versionId` is the new key's id); with outcome `error`, a rotation or re-wrap that failed.
    public static let rotateKey = "sejf:RotateKey"
    /// `sejf key retire`: an environment's old key-encryption key was deleted (`versionId` is its id);
    /// with outcome `error`, a retirement that was refused (the key still in use, or active).
    public static let retireKey = "sejf:RetireKey"

    /// `sejf backup` (in the live trail) and `sejf restore` (in the restored one); environment `*`.
    public static let backup = "sejf:Backup"
    public static let restore = "sejf:Restore"

    /// Sejf's own actions, beside the Secrets Manager operations.
    public static let sejfActions = [authenticate, render, run, rotateKey, retireKey, backup, restore]
        + rotationSteps.map { rotationStep($0, rollback: false) }
        + rotationSteps.dropFirst().map { rotationStep($0, rollback: true) }

    /// The actions that reveal a secret's value: what `who-read` and `stale` count. Every path
    /// that hands out a value (the AWS API, `sejf secret get`, `sejf run`, `sejf render`) records
    /// one of these, one event per secret.
    public static let valueReads: Set<String> = [getSecretValue, batchGetSecretValue]
}

/// An event as the store keeps it: the event, the sequence number the store assigned (1, 2, 3, …)
/// and the chain hash `H(previous hash ‖ canonical encoding)` (see ``AuditChain``).
///
/// It encodes (`Codable`) as one line of the export format: the event's fields plus `sequence`
/// and `hash` (lower-case hex), in one flat JSON object — see `schemas/audit-event.schema.json`
/// and ``AuditExport``.
public struct StoredAuditEvent: Hashable, Sendable, Codable {
    /// The event's place in the chain, assigned by the store: 1, 2, 3, … without gaps.
    public var sequence: Int64
    /// What happened.
    public var event: AuditEvent
    /// The chain hash stored with the event: 32 bytes.
    public var hash: [UInt8]

    /// A stored event as read back from the store (``AuditChain/append(_:after:hash:)`` makes new ones).
    public init(sequence: Int64, event: AuditEvent, hash: [UInt8]) {
        self.sequence = sequence
        self.event = event
        self.hash = hash
    }

    /// This event as a checkpoint: its sequence number, hash and time.
    public var checkpoint: AuditCheckpoint {
        AuditCheckpoint(sequence: sequence, hash: hash, time: event.time)
    }

    /// The bytes hashed for this event (see ``AuditEvent/canonicalEncoding(sequence:)``).
    public var canonicalEncoding: [UInt8] { event.canonicalEncoding(sequence: sequence) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sequence, hash
    }

    /// Decodes an export line.
    /// - Throws: `DecodingError` for a missing field, a wrong type, or a `hash` that is not 64
    ///   lower-case hex digits.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sequence = try c.decode(Int64.self, forKey: .sequence)
        hash = try AuditHex.decodeHash(c, forKey: .hash)
        event = try AuditEvent(from: decoder)
    }

    /// Encodes an export line: `sequence`, the event's fields, `hash` in lower-case hex.
    public func encode(to encoder: any Encoder) throws {
        try event.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sequence, forKey: .sequence)
        try c.encode(AuditHex.encode(hash), forKey: .hash)
    }
}

// MARK: - Canonical encoding

extension AuditEvent {
    /// The version of ``canonicalEncoding(sequence:)``, its first byte.
    public static let canonicalFormat: UInt8 = 1

    /// The bytes the chain hash covers: deterministic, unambiguous, and covering every field.
    ///
    /// Format 1, all integers big-endian:
    ///
    /// | Field            | Encoding                                        |
    /// |------------------|-------------------------------------------------|
    /// | format           | 1 byte, `0x01`                                  |
    /// | sequence         | Int64, 8 bytes, two's complement                |
    /// | time             | Int64 milliseconds since 1970 (UTC), 8 bytes    |
    /// | environment      | *string*                                        |
    /// | principal        | *string*                                        |
    /// | accessKeyId      | *optional string*                               |
    /// | action           | *string*                                        |
    /// | secretArn        | *optional string*                               |
    /// | versionId        | *optional string*                               |
    /// | versionStages    | UInt32 count, then each a *string*, in order    |
    /// | outcome          | *string*: `allowed`, `denied` or `error`        |
    /// | errorCode        | *optional string*                               |
    /// | sourceAddress    | *string*                                        |
    /// | userAgent        | *string*                                        |
    /// | requestId        | *string*                                        |
    ///
    /// A *string* is a UInt32 byte count and the UTF-8 bytes, unnormalised. An *optional string*
    /// is `0x00` when absent, or `0x01` and a *string* — so absent and empty differ.
    ///
    /// Every field has a fixed place and every variable part carries its length, so no two
    /// different events (or sequence numbers) encode to the same bytes. Changing this layout means
    /// a new format byte; events already hashed keep verifying under the format they were written in.
    public func canonicalEncoding(sequence: Int64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(Self.canonicalFormat)
        out.appendBigEndian(UInt64(bitPattern: sequence))
        out.appendBigEndian(UInt64(bitPattern: time.milliseconds))
        out.appendString(environment)
        out.appendString(principal)
        out.appendOptionalString(accessKeyId)
        out.appendString(action)
        out.appendOptionalString(secretArn)
        out.appendOptionalString(versionId)
        out.appendLength(versionStages.count)
        for stage in versionStages { out.appendString(stage) }
        out.appendString(outcome.rawValue)
        out.appendOptionalString(errorCode)
        out.appendString(sourceAddress)
        out.appendString(userAgent)
        out.appendString(requestId)
        return out
    }
}

extension [UInt8] {
    fileprivate mutating func appendBigEndian(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    fileprivate mutating func appendLength(_ count: Int) {
        precondition(count <= Int(UInt32.max), "audit field too long to encode")
        let value = UInt32(count)
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    fileprivate mutating func appendString(_ string: String) {
        appendLength(string.utf8.count)
        append(contentsOf: string.utf8)
    }

    fileprivate mutating func appendOptionalString(_ string: String?) {
        if let string {
            append(1)
            appendString(string)
        } else {
            append(0)
        }
    }
}

// MARK: - Helpers

/// Lower-case hexadecimal, as hashes appear in exports and messages.
enum AuditHex {
    static let digits = Array("0123456789abcdef".utf8)

    /// Decodes a chain hash: exactly 64 lower-case hex digits.
    static func decodeHash<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, forKey key: Key) throws -> [UInt8] {
        let hex = try container.decode(String.self, forKey: key)
        guard hex.utf8.count == AuditChain.hashLength * 2, let bytes = decode(hex) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                debugDescription: "Invalid hash: expected \(AuditChain.hashLength * 2) lower-case hex digits.")
        }
        return bytes
    }

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes lower-case hex; `nil` for an odd length or any other character.
    static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = digits.firstIndex(of: utf8[i]), let low = digits.firstIndex(of: utf8[i + 1]) else { return nil }
            out.append(UInt8(high << 4 | low))
            i += 2
        }
        return out
    }
}

extension String {
    /// The longest prefix of at most `limit` UTF-8 bytes that ends on a character boundary.
    fileprivate func prefix(utf8Bytes limit: Int) -> String {
        guard utf8.count > limit else { return self }
        var count = 0
        var end = startIndex
        for index in indices {
            let next = self.index(after: index)
            count += self[index..<next].utf8.count
            if count > limit { break }
            end = next
        }
        return String(self[..<end])
    }
}
