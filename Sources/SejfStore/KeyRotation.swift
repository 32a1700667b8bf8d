import Foundation
import GRDB
import SejfCore
import SejfCrypto

// Rotation of an environment's key-encryption key (`sejf key rotate`, `sejf key retire`,
// `sejf key kek-list`).
//
// A rotation makes a new key the environment's active one (new versions are sealed with it from
// that transaction on), then re-wraps every data key still under an older key of the environment:
// each is opened with the old key and sealed with the new one, under the same associated data
// (environment, secret ARN, version id). Only `key_id` and `wrapped_key` of a version change; its
// ciphertext does not (the schema forbids it). The re-wrap runs in short write transactions of a
// bounded number of versions, so a running server keeps serving; reads of versions not yet
// re-wrapped still work because every key is found by its id. An interrupted re-wrap is finished
// by running the rotation again: while any version is under a non-active key of the environment,
// a rotation resumes instead of making yet another key.

/// Who runs a key administration command, for its audit events.
public struct KeyAdministrator: Sendable {
    public var principal: String
    public var sourceAddress: String
    public var userAgent: String
    /// Shared by every event of one command, so they can be told apart from another run's.
    public var requestId: String

    public init(principal: String, sourceAddress: String, userAgent: String, requestId: String = randomUUIDString()) {
        self.principal = principal
        self.sourceAddress = sourceAddress
        self.userAgent = userAgent
        self.requestId = requestId
    }
}

/// How a rotation runs.
public struct KeyRotationOptions: Sendable {
    /// Versions re-wrapped per write transaction.
    public var batchSize: Int
    /// Only finish an unfinished re-wrap; never make a new key.
    public var resumeOnly: Bool
    /// Stop after this many batches (the rest is re-wrapped by a later run); nil: run to the end.
    public var maxBatches: Int?
    /// After each batch, wait this many times as long as the batch held the write lock (at most
    /// half a second), so other writers — a server's audit events — get the lock in between.
    public var pauseRatio: Double

    public static let defaultBatchSize = 500

    public init(batchSize: Int = defaultBatchSize, resumeOnly: Bool = false, maxBatches: Int? = nil, pauseRatio: Double = 1) {
        self.batchSize = batchSize
        self.resumeOnly = resumeOnly
        self.maxBatches = maxBatches
        self.pauseRatio = pauseRatio
    }
}

/// Where a running re-wrap is, after each batch.
public struct KeyRotationProgress: Sendable {
    /// The key data keys are re-wrapped under (the active key).
    public var keyId: String
    public var rewrapped: Int
    /// The versions that were under older keys when the re-wrap started.
    public var total: Int
    public var batches: Int
}

/// What a rotation did.
public struct KeyRotationResult: Sendable, Codable, Equatable {
    public var environment: String
    /// The active key, which the data keys are now wrapped under.
    public var keyId: String
    /// Whether this run made the key (false when it finished an earlier run's re-wrap).
    public var created: Bool
    /// The keys data keys were re-wrapped from.
    public var previousKeyIds: [String]
    public var rewrapped: Int
    public var batches: Int
    /// Versions still under older keys (non-zero only when stopped by `maxBatches`).
    public var remaining: Int
    public var seconds: Double
}

/// One key-encryption key of an environment, with how many versions it wraps.
public struct KeyUsage: Sendable, Equatable {
    public var record: KeyRecord
    /// The key new versions are sealed with.
    public var active: Bool
    /// Versions whose data key is wrapped under it.
    public var versions: Int
}

/// What retiring a key did.
public struct KeyRetirement: Sendable, Equatable, Codable {
    public var environment: String
    public var keyId: String
    public var source: KeySource
    /// The key files deleted (overwritten first).
    public var deletedFiles: [String]
    /// Set when the record was deleted but a key file could not be.
    public var warning: String?
}

extension KeyRecord {
    /// A row of the `keys` table.
    init(row: Row) throws {
        guard let source = KeySource(rawValue: row["source"]) else {
            throw SejfError(.internalServiceError, "Unknown key source in the database.")
        }
        let salt: Data? = row["kdf_salt"]
        let ops: Int64? = row["kdf_ops"]
        let mem: Int64? = row["kdf_mem"]
        let kdf = ops.flatMap { ops in mem.map { Argon2idParameters(opsLimit: UInt64(ops), memLimit: Int($0)) } }
        self.init(id: row["id"], environment: try EnvironmentName(row["environment"]), source: source,
                  salt: salt.map { [UInt8]($0) }, kdf: kdf, createdAt: row["created_at"])
    }
}

extension SQLiteSecretStore {
    /// The key-encryption keys of an environment, active first, then newest first, with the
    /// number of versions each wraps.
    /// - Throws: `ResourceNotFoundException` for an environment that does not exist.
    public func keyUsage(of environment: EnvironmentName) throws -> [KeyUsage] {
        try storage {
            try database.read { db in
                try Self.requireEnvironment(environment, db)
                return try Self.keyUsage(environment, db)
            }
        }
    }

    /// Rotates an environment's key-encryption key, or finishes an unfinished rotation.
    ///
    /// When every version is under the active key (and `resumeOnly` is false), makes a new key
    /// (``KeyRing/createRotationKey(for:existing:defaultKDF:now:)``) and, in one transaction,
    /// makes it the active key and records a `sejf:RotateKey` event (its `versionId` is the new
    /// key's id). Then re-wraps, batch by batch, every version under another key of the
    /// environment. When some versions are still under an older key, no key is made: the re-wrap
    /// to the active key continues.
    ///
    /// Every key the re-wrap opens is loaded before anything changes, so a missing or wrong key is
    /// a `DecryptionFailure` naming the environment and the key id, with nothing done. A failure is
    /// audited too (`sejf:RotateKey`, outcome `error`).
    public func rotateKey(of environment: EnvironmentName, options: KeyRotationOptions = KeyRotationOptions(),
                          by actor: KeyAdministrator, clock: () -> Double = { Date().timeIntervalSince1970 },
                          progress: (KeyRotationProgress) -> Void = { _ in }) throws -> KeyRotationResult {
        guard options.batchSize >= 1 else { throw SejfError(.invalidParameter, "The batch size must be at least 1.") }
        let started = ContinuousClock.now
        var target: String?
        do {
            let keys = try storage {
                try database.read { db in
                    try Self.requireEnvironment(environment, db)
                    return try Self.keyUsage(environment, db)
                }
            }
            guard let active = keys.first(where: \.active) else {
                throw SejfError(.internalServiceError, "Environment '\(environment)' has no active key.")
            }
            target = active.record.id
            var newKey: KeyEncryptionKey
            var created = false
            var previous = keys.filter { !$0.active && $0.versions > 0 }
            if previous.isEmpty {
                if options.resumeOnly {
                    return KeyRotationResult(environment: environment.rawValue, keyId: active.record.id, created: false, previousKeyIds: [],
                                             rewrapped: 0, batches: 0, remaining: 0, seconds: Self.seconds(since: started))
                }
                if active.versions > 0 { _ = try keyRing.key(for: active.record) }
                let made = try keyRing.createRotationKey(for: environment, existing: keys.map(\.record), now: clock())
                target = made.record.id
                do {
                    try storage {
                        try database.write { db in
                            try Self.activate(made.record, replacing: active.record, in: environment, db)
                            _ = try session(db).appendAuditEvents([
                                Self.event(AuditAction.rotateKey, environment, keyId: made.record.id, actor, clock, failure: nil)])
                        }
                    }
                } catch {
                    keyRing.discardCreatedKey(made.record, file: made.file)
                    throw error
                }
                newKey = made.key
                created = true
                previous = [KeyUsage(record: active.record, active: false, versions: active.versions)]
            } else {
                newKey = try keyRing.key(for: active.record)
            }
            // Every key the re-wrap opens must be at hand before the first batch.
            var oldKeys: [String: KeyEncryptionKey] = [:]
            for usage in previous { oldKeys[usage.record.id] = try keyRing.key(for: usage.record) }

            let total = previous.reduce(0) { $0 + $1.versions }
            var rewrapped = 0
            var batches = 0
            while options.maxBatches.map({ batches < $0 }) ?? true {
                let (count, held) = try rewrapBatch(environment, to: newKey, from: oldKeys, limit: options.batchSize)
                guard count > 0 else { break }
                rewrapped += count
                batches += 1
                progress(KeyRotationProgress(keyId: newKey.id, rewrapped: rewrapped, total: total, batches: batches))
                if options.pauseRatio > 0 { Thread.sleep(forTimeInterval: min(held * options.pauseRatio, 0.5)) }
            }
            let remaining = try storage {
                try database.read { db in try Self.keyUsage(environment, db).filter { !$0.active }.reduce(0) { $0 + $1.versions } }
            }
            return KeyRotationResult(environment: environment.rawValue, keyId: newKey.id, created: created,
                                     previousKeyIds: previous.map(\.record.id), rewrapped: rewrapped, batches: batches,
                                     remaining: remaining, seconds: Self.seconds(since: started))
        } catch let error as SejfError {
            auditFailure(AuditAction.rotateKey, environment, keyId: target, actor, clock, error)
            throw error
        }
    }

    /// Retires a key-encryption key of an environment: deletes its record and, for a key kept in a
    /// key file, that file (overwritten first), and records a `sejf:RetireKey` event.
    ///
    /// `keyId` is the full id or a unique prefix of at least 8 digits.
    /// - Throws: `InvalidRequestException` while any version is still wrapped under the key or
    ///   when it is the active key; `ResourceNotFoundException` when the environment has no such
    ///   key. A refusal is audited too (outcome `error`).
    public func retireKey(_ keyId: String, of environment: EnvironmentName, by actor: KeyAdministrator,
                          clock: () -> Double = { Date().timeIntervalSince1970 }) throws -> KeyRetirement {
        var resolved = keyId
        do {
            let record = try storage {
                try database.write { db -> KeyRecord in
                    try Self.requireEnvironment(environment, db)
                    let usage = try Self.keyUsage(environment, db)
                    let matches = usage.filter { $0.record.id == keyId }.isEmpty && keyId.count >= 8
                        ? usage.filter { $0.record.id.hasPrefix(keyId.lowercased()) }
                        : usage.filter { $0.record.id == keyId }
                    guard matches.count == 1, let key = matches.first else {
                        throw matches.isEmpty
                            ? SejfError(.resourceNotFound, "Environment '\(environment)' has no key-encryption key \(keyId) (see `sejf key kek-list --env \(environment)`).")
                            : SejfError(.invalidParameter, "\(keyId) matches \(matches.count) keys of environment '\(environment)': give more of the key id.")
                    }
                    resolved = key.record.id
                    if key.active {
                        throw SejfError(.invalidRequest,
                            "Key \(key.record.id) is the active key of environment '\(environment)' (new versions are sealed with it): rotate first with `sejf key rotate --env \(environment)`.")
                    }
                    if key.versions > 0 {
                        throw SejfError(.invalidRequest,
                            "Key \(key.record.id) of environment '\(environment)' still wraps the data keys of \(key.versions) version\(key.versions == 1 ? "" : "s"): finish the re-wrap first with `sejf key rotate --env \(environment) --resume`.")
                    }
                    try db.execute(sql: "DELETE FROM keys WHERE id = ?", arguments: [key.record.id])
                    _ = try session(db).appendAuditEvents([
                        Self.event(AuditAction.retireKey, environment, keyId: key.record.id, actor, clock, failure: nil)])
                    return key.record
                }
            }
            var retirement = KeyRetirement(environment: environment.rawValue, keyId: record.id, source: record.source,
                                           deletedFiles: [], warning: nil)
            if record.source == .file {
                do {
                    retirement.deletedFiles = try keyRing.removeKeyFiles(of: record)
                } catch {
                    retirement.warning = "Key \(record.id) is retired, but its key file could not be deleted: \(error); delete it by hand."
                }
            } else {
                keyRing.forget(record.id)
            }
            return retirement
        } catch let error as SejfError {
            auditFailure(AuditAction.retireKey, environment, keyId: resolved, actor, clock, error)
            throw error
        }
    }

    // MARK: - Steps

    /// Re-wraps up to `limit` versions of the environment that are under another key than
    /// `newKey`, in one write transaction; returns how many, and how long the transaction held
    /// the write lock (in seconds, commit included; not the wait for it).
    private func rewrapBatch(_ environment: EnvironmentName, to newKey: KeyEncryptionKey, from oldKeys: [String: KeyEncryptionKey],
                             limit: Int) throws -> (count: Int, held: Double) {
        var locked = ContinuousClock.now
        let count = try storage {
            try database.write { db in
                locked = ContinuousClock.now
                // Statements are prepared once per connection and reused by every batch: compiling the
                // UPDATE (and its triggers) per row would cost more than the cryptography.
                let active = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM keys WHERE environment = ? AND active = 1"),
                                                 arguments: [environment.rawValue])
                guard active == newKey.id else {
                    throw SejfError(.invalidRequest,
                        "The active key of environment '\(environment)' changed during the re-wrap (another rotation?): run `sejf key rotate --env \(environment) --resume`.")
                }
                let account = try session(db).accountId()
                let rows = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT v.secret_id, v.version_id, v.key_id, v.wrapped_key, s.environment, s.name, s.arn_suffix
                    FROM versions v JOIN secrets s ON s.id = v.secret_id
                    WHERE v.key_id IN (SELECT id FROM keys WHERE environment = ? AND id != ?)
                    LIMIT ?
                    """), arguments: [environment.rawValue, newKey.id, limit])
                let update = try db.cachedStatement(sql: """
                    UPDATE versions SET key_id = ?, wrapped_key = ? WHERE secret_id = ? AND version_id = ? AND key_id = ?
                    """)
                for row in rows {
                    let keyId: String = row["key_id"]
                    guard let oldKey = oldKeys[keyId] else {
                        throw SejfError(.invalidRequest,
                            "A version of environment '\(environment)' is under key \(keyId), which appeared during the re-wrap: run `sejf key rotate --env \(environment) --resume`.")
                    }
                    let arn = SecretARN(environment: try EnvironmentName(row["environment"]), account: account,
                                        name: row["name"], suffix: row["arn_suffix"])
                    let versionId: String = row["version_id"]
                    let binding = Envelope.Binding(environment: arn.environment, arn: arn.description, versionId: versionId)
                    let wrapped = try Envelope.rewrap([UInt8](row["wrapped_key"] as Data), binding: binding, from: oldKey, to: newKey)
                    try update.execute(arguments: [newKey.id, Data(wrapped), row["secret_id"] as Int64, versionId, keyId])
                }
                return rows.count
            }
        }
        return (count, Self.seconds(since: locked))
    }

    /// Makes `record` the environment's active key in place of `previous`, unless the environment
    /// changed since the caller looked (another rotation started meanwhile).
    private static func activate(_ record: KeyRecord, replacing previous: KeyRecord, in environment: EnvironmentName, _ db: Database) throws {
        let usage = try keyUsage(environment, db)
        guard usage.first(where: \.active)?.record.id == previous.id, !usage.contains(where: { !$0.active && $0.versions > 0 }) else {
            throw SejfError(.invalidRequest,
                "Another rotation of environment '\(environment)' started meanwhile: finish it with `sejf key rotate --env \(environment) --resume`.")
        }
        try db.execute(sql: "UPDATE keys SET active = 0 WHERE environment = ? AND active = 1", arguments: [environment.rawValue])
        try db.execute(sql: """
            INSERT INTO keys (id, environment, source, kdf_salt, kdf_ops, kdf_mem, active, created_at)
            VALUES (?, ?, ?, ?, ?, ?, 1, ?)
            """, arguments: [record.id, environment.rawValue, record.source.rawValue, record.salt.map { Data($0) },
                             record.kdf.map { Int64($0.opsLimit) }, record.kdf.map { Int64($0.memLimit) }, record.createdAt])
    }

    private static func requireEnvironment(_ environment: EnvironmentName, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM environments WHERE name = ?", arguments: [environment.rawValue]) != nil else {
            throw SejfError(.resourceNotFound, "No environment named '\(environment)'.")
        }
    }

    private static func keyUsage(_ environment: EnvironmentName, _ db: Database) throws -> [KeyUsage] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT key_id, COUNT(*) AS n FROM versions WHERE key_id IN (SELECT id FROM keys WHERE environment = ?) GROUP BY key_id
            """, arguments: [environment.rawValue]) {
            counts[row["key_id"]] = row["n"]
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM keys WHERE environment = ? ORDER BY active DESC, created_at DESC, id",
                                arguments: [environment.rawValue]).map { row in
            let record = try KeyRecord(row: row)
            return KeyUsage(record: record, active: row["active"], versions: counts[record.id] ?? 0)
        }
    }

    // MARK: - Audit

    /// `sejf:RotateKey` / `sejf:RetireKey`: the environment, the local operator, and the key id in
    /// `versionId` (the key is the environment key's version; `secretArn` stays empty, so nothing
    /// counts the event as a use of a secret).
    private static func event(_ action: String, _ environment: EnvironmentName, keyId: String?, _ actor: KeyAdministrator,
                              _ clock: () -> Double, failure: SejfError?) -> AuditEvent {
        AuditEvent(time: AuditTime(secondsSince1970: clock()), environment: environment.rawValue, principal: actor.principal,
                   action: action, versionId: keyId, outcome: failure == nil ? .allowed : .error,
                   errorCode: failure?.code.rawValue, sourceAddress: actor.sourceAddress, userAgent: actor.userAgent,
                   requestId: actor.requestId)
    }

    /// Records a failed rotation or retirement in its own transaction (best effort: the failure
    /// itself may be that nothing can be written).
    private func auditFailure(_ action: String, _ environment: EnvironmentName, keyId: String?, _ actor: KeyAdministrator,
                              _ clock: () -> Double, _ error: SejfError) {
        _ = try? database.write { db in
            try session(db).appendAuditEvents([Self.event(action, environment, keyId: keyId, actor, clock, failure: error)])
        }
    }

    // MARK: - Helpers

    /// Runs a database access, turning SQLite failures into service errors.
    private func storage<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw Self.storageError(error, path: path)
        }
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
