import Foundation
import GRDB
import SejfCore
import SejfCrypto

/// The SQLite implementation of ``SecretStore``: one database file, WAL mode,
/// `synchronous=FULL` (an acknowledged write survives power loss), foreign keys on, write
/// transactions (GRDB makes them IMMEDIATE) with a busy timeout so several CLI processes can
/// share the file.
///
/// When the file system refuses the files WAL mode needs (a read-only mount, a full disk) and no
/// write-ahead log is pending, the store opens read-only so reads are still served; writes then
/// fail with a storage error that says why.
public final class SQLiteSecretStore: SecretStore {
    let database: any DatabaseWriter
    let path: String
    let keyRing: KeyRing
    let metadata = MetadataCache()
    let secretRecords = SecretRecordCache()
    /// Concurrent writes share a transaction and its fsync (see ``write(_:)``).
    private let writes: GroupCommitter<WriteJob, Void>

    /// Opens (and migrates) the database at `path`, creating it with mode 0600 when missing.
    /// - Throws: `InternalServiceError` with SQLite's reason when the file cannot be opened.
    public init(path: String, keyRing: KeyRing, busyTimeout: TimeInterval = 10) throws {
        self.keyRing = keyRing
        self.path = path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "sejf"
        // Savepoints (each grouped write has one) keep their undo pages in memory: SQLite's
        // default spills them to a temporary file, created and unlinked for each transaction.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA temp_store = MEMORY") }
        let database: any DatabaseWriter
        do {
            database = try Self.openReadWrite(path, configuration)
        } catch let error as DatabaseError where Self.canOpenReadOnly(path, after: error) {
            do {
                database = try Self.openReadOnly(path, configuration)
            } catch {
                throw Self.storageError(error, path: path)
            }
        } catch let error as SejfError {
            throw error
        } catch {
            throw Self.storageError(error, path: path)
        }
        self.database = database
        writes = GroupCommitter { jobs in try WriteJob.commit(jobs, in: database) }
    }

    private static func openReadWrite(_ path: String, _ configuration: Configuration) throws -> DatabasePool {
        if !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard fd >= 0 else { throw SejfError(.internalServiceError, "Cannot create \(path): \(String(cString: strerror(errno))).") }
            close(fd)
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets NORMAL on the writer after prepareDatabase; set FULL on the writer itself.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Schema.migrator.migrate(pool)
        return pool
    }

    /// Read-only access needs no `-wal`/`-shm` files (SQLite's `immutable` URI parameter), which
    /// is only correct when no write-ahead log holds changes the main file lacks.
    private static func canOpenReadOnly(_ path: String, after error: DatabaseError) -> Bool {
        guard [.SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_FULL].contains(error.resultCode),
              FileManager.default.fileExists(atPath: path) else { return false }
        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        return walSize == 0
    }

    private static func openReadOnly(_ path: String, _ configuration: Configuration) throws -> DatabaseQueue {
        var configuration = configuration
        configuration.readonly = true
        let escaped = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))) ?? path
        let queue = try DatabaseQueue(path: "file:\(escaped)?immutable=1", configuration: configuration)
        guard try queue.read({ try Schema.migrator.hasCompletedMigrations($0) }) else {
            throw SejfError(.internalServiceError, "Storage error at \(path): the database needs migrating but its directory is not writable.")
        }
        return queue
    }

    /// Runs `body` in one read transaction (one snapshot of the database).
    ///
    /// The transaction is begun and ended with statements prepared once per connection: GRDB's
    /// `read` prepares `BEGIN` and `COMMIT` anew each time and wraps them in savepoint
    /// bookkeeping, together about 8% of a GetSecretValue's CPU. Reader connections are opened
    /// read-only, so nothing here can write.
    public func read<T>(_ body: (any SecretStoreReader) throws -> T) throws -> T {
        try translate {
            try database.unsafeRead { db in
                try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
                do {
                    let result = try body(session(db, readOnly: true))
                    try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                    return result
                } catch {
                    // Also when COMMIT failed: the connection must not stay in a transaction.
                    try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute()
                    throw error
                }
            }
        }
    }

    /// Runs `body` in a write transaction and returns once it is durable. Concurrent writes are
    /// grouped: one transaction, one fsync, each write in a savepoint of its own, so a write that
    /// throws undoes only itself, and each caller still sees its own outcome (group commit).
    public func write<T>(_ body: (any SecretStoreWriter) throws -> T) throws -> T {
        try translate {
            try withoutActuallyEscaping(body) { body in
                var result: T?
                let job = WriteJob { db in result = try body(self.session(db)) }
                // The committing thread may still hold the job: the closure must not outlive `body`.
                defer { job.discardBody() }
                try writes.submit(job)
                if let error = job.error { throw error }
                return result!
            }
        }
    }

    public func recentActiveAccessKeyPrincipal(_ id: String) -> String? {
        metadata.recent?.activeAccessKeys[id]
    }

    /// A session over `db`, one of this store's connections; `readOnly` for a read transaction,
    /// which can take the metadata once (a write transaction may change it as it goes).
    func session(_ db: Database, readOnly: Bool = false) -> Session {
        Session(db: db, keyRing: keyRing, metadataCache: metadata, secretRecords: secretRecords,
                readSnapshot: readOnly ? ReadSnapshot() : nil)
    }

    /// The current `synchronous` setting of the writer connection (2 = FULL).
    public func writerSynchronousMode() throws -> Int {
        try database.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try translate { try database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") } }
    }

    /// Turns SQLite failures into service errors; every other error passes through unchanged.
    private func translate<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw Self.storageError(error, path: path)
        }
    }

    /// Turns a SQLite failure into a one-line service error that says what to do.
    static func storageError(_ error: any Error, path: String) -> SejfError {
        guard let db = error as? DatabaseError else {
            return SejfError(.internalServiceError, "Storage error at \(path): \(error)")
        }
        let reason: String
        switch db.resultCode {
        case .SQLITE_FULL: reason = "the disk is full"
        case .SQLITE_READONLY: reason = "the data directory is read-only (or the disk is full)"
        case .SQLITE_CANTOPEN: reason = "the database cannot be opened (missing or unreadable directory?)"
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: reason = "the database file is damaged or not a Sejf database"
        case .SQLITE_BUSY, .SQLITE_LOCKED: reason = "the database stayed locked by another process"
        case .SQLITE_IOERR: reason = "an I/O error occurred (disk full or failing?)"
        case .SQLITE_CONSTRAINT: reason = "a storage invariant was violated (\(db.message ?? "constraint"))"
        default: reason = db.message ?? "\(db.resultCode)"
        }
        return SejfError(.internalServiceError, "Storage error at \(path): \(reason); nothing was written.")
    }
}

/// One caller's write in a group commit: its body, then what it threw.
final class WriteJob: @unchecked Sendable {
    private var body: ((Database) throws -> Void)?
    /// Set by the committing thread before the caller is woken.
    private(set) var error: (any Error)?

    init(_ body: @escaping (Database) throws -> Void) {
        self.body = body
    }

    /// Drops the body once its commit is over (it captures its caller's non-escaping closure).
    func discardBody() {
        body = nil
    }

    /// Runs `jobs` in one transaction, each in its own savepoint. A job that throws is rolled
    /// back alone; if SQLite gave up the whole transaction (a full disk, an I/O error), every job
    /// fails with that error.
    static func commit(_ jobs: [WriteJob], in database: any DatabaseWriter) throws -> [Void] {
        try database.write { db in
            for job in jobs {
                do {
                    try db.inSavepoint {
                        try job.body?(db)
                        return .commit
                    }
                } catch {
                    guard db.isInsideTransaction else { throw error }
                    job.error = error
                }
            }
        }
        return jobs.map { _ in () }
    }
}

/// What a read transaction saw: one snapshot cannot see it change.
final class ReadSnapshot {
    var metadata: StoreMetadata?
    /// Secret row id → its revision, for the secrets this transaction looked up.
    var revisions: [Int64: Int64] = [:]
}

/// One read snapshot or write transaction.
struct Session: SecretStoreWriter {
    let db: Database
    let keyRing: KeyRing
    let metadataCache: MetadataCache
    /// Decoded records of secrets, used by read transactions.
    let secretRecords: SecretRecordCache
    /// For a read transaction: its metadata, once fetched.
    let readSnapshot: ReadSnapshot?

    /// The statement for `sql`, prepared once per connection and then reused (GRDB's statement
    /// cache): preparing statements anew took about a third of a read's CPU time.
    private func statement(_ sql: String) throws -> Statement {
        try db.cachedStatement(sql: sql)
    }

    /// The cached metadata, valid for this session's view of the database.
    private func metadata() throws -> StoreMetadata {
        guard let readSnapshot else { return try metadataCache.current(db) }
        if let metadata = readSnapshot.metadata { return metadata }
        let metadata = try metadataCache.current(db)
        readSnapshot.metadata = metadata
        return metadata
    }

    /// The id `meta` records for an installation key.
    private func installationKeyId(_ kind: InstallationKey) throws -> String? {
        try metadata().meta[kind.metaKey]
    }

    // MARK: Reading

    func accountId() throws -> String {
        guard let account = try metadata().meta["account_id"] else {
            throw SejfError(.internalServiceError, "The store has no account id: run `sejf init`.")
        }
        return account
    }

    func environments() throws -> [EnvironmentRecord] {
        try metadata().environments
    }

    func principals() throws -> [PrincipalRecord] {
        try Row.fetchAll(statement("SELECT * FROM principals ORDER BY name")).map(principalRecord)
    }

    func principal(named name: String) throws -> PrincipalRecord? {
        try Row.fetchOne(statement("SELECT * FROM principals WHERE name = ?"), arguments: [name]).map(principalRecord)
    }

    func accessKeys(of principal: String?) throws -> [AccessKeyRecord] {
        let rows = try principal.map {
            try Row.fetchAll(statement("SELECT * FROM access_keys WHERE principal = ? ORDER BY created_at, rowid"), arguments: [$0])
        } ?? Row.fetchAll(statement("SELECT * FROM access_keys ORDER BY principal, created_at, rowid"))
        return try rows.map(accessKeyRecord)
    }

    func accessKey(_ id: String) throws -> AccessKeyRecord? {
        try Row.fetchOne(statement("SELECT * FROM access_keys WHERE id = ?"), arguments: [id]).map(accessKeyRecord)
    }

    func accessControl() throws -> AccessControl {
        try metadata().accessControl
    }

    func activeAccessKeyPrincipal(_ id: String) throws -> String? {
        try metadata().activeAccessKeys[id]
    }

    func auditCheckpoint() throws -> AuditCheckpoint? {
        guard let row = try Row.fetchOne(statement("SELECT * FROM audit_checkpoints ORDER BY sequence DESC LIMIT 1")) else { return nil }
        let checkpoint = AuditCheckpoint(sequence: row["sequence"], hash: [UInt8](row["hash"] as Data),
                                         time: AuditTime(milliseconds: row["time_ms"]))
        guard let id = try installationKeyId(.audit),
              constantTimeEquals(Self.checkpointMAC(checkpoint, key: try keyRing.installationKey(.audit, expectedId: id)),
                                 [UInt8](row["mac"] as Data)) else {
            throw SejfError(.decryptionFailure,
                "The audit trail's prune checkpoint at event \(checkpoint.sequence) does not authenticate: it was forged or altered.")
        }
        return checkpoint
    }

    /// Keyed BLAKE2b over a checkpoint, so only the audit key's holder can make one.
    private static func checkpointMAC(_ checkpoint: AuditCheckpoint, key: KeyEncryptionKey) -> [UInt8] {
        var bytes = Array("sejf.audit-checkpoint.v1".utf8)
        withUnsafeBytes(of: checkpoint.sequence.bigEndian) { bytes += $0 }
        withUnsafeBytes(of: checkpoint.time.milliseconds.bigEndian) { bytes += $0 }
        return Hash.blake2b(bytes + checkpoint.hash, key: key.bytes, length: AuditChain.hashLength)
    }

    func auditHead() throws -> AuditCheckpoint {
        if let row = try Row.fetchOne(statement("SELECT sequence, hash, time_ms FROM audit_events ORDER BY sequence DESC LIMIT 1")) {
            return AuditCheckpoint(sequence: row["sequence"], hash: [UInt8](row["hash"] as Data), time: AuditTime(milliseconds: row["time_ms"]))
        }
        return try auditCheckpoint() ?? .genesis
    }

    func auditEvents(after sequence: Int64, limit: Int) throws -> [StoredAuditEvent] {
        try Row.fetchAll(statement("SELECT * FROM audit_events WHERE sequence > ? ORDER BY sequence LIMIT ?"),
                         arguments: [sequence, limit]).map(storedAuditEvent)
    }

    func auditEvents(matching filter: AuditFilter, limit: Int) throws -> [StoredAuditEvent] {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        func add(_ clause: String, _ value: (any DatabaseValueConvertible)?) {
            guard let value else { return }
            clauses.append(clause)
            arguments.append(value)
        }
        add("environment = ?", filter.environment)
        add("principal = ?", filter.principal)
        add("secret_arn = ?", filter.secretArn)
        add("action = ?", filter.action)
        add("outcome = ?", filter.outcome?.rawValue)
        add("time_ms >= ?", filter.since?.milliseconds)
        add("time_ms < ?", filter.until?.milliseconds)
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        return try Row.fetchAll(statement("SELECT * FROM audit_events \(whereClause) ORDER BY sequence DESC LIMIT ?"),
                                arguments: StatementArguments(arguments + [limit])).map(storedAuditEvent)
    }

    func auditValueReads(environment: String, since: AuditTime) throws -> [AuditReadSummary] {
        try Row.fetchAll(statement("""
            SELECT principal, secret_arn, COUNT(*) AS reads, MAX(time_ms) AS last_ms FROM audit_events
            WHERE environment = ? AND time_ms >= ? AND \(Schema.valueReadFilter)
            GROUP BY principal, secret_arn ORDER BY secret_arn, last_ms DESC, principal
            """), arguments: [environment, since.milliseconds]).map {
            AuditReadSummary(principal: $0["principal"], secretArn: $0["secret_arn"], count: $0["reads"],
                             lastRead: AuditTime(milliseconds: $0["last_ms"]))
        }
    }

    func auditLastValueRead(environment: String, secretArn: String) throws -> AuditTime? {
        try Int64.fetchOne(statement("""
            SELECT MAX(time_ms) FROM audit_events WHERE environment = ? AND secret_arn = ? AND \(Schema.valueReadFilter)
            """), arguments: [environment, secretArn]).map(AuditTime.init(milliseconds:))
    }

    func auditHasher() throws -> @Sendable ([UInt8]) -> [UInt8] {
        guard let id = try installationKeyId(.audit) else {
            // The id is recorded with the first event. Events without it mean the row was
            // removed, perhaps to pass off a chain rehashed without the key: never verify that.
            if try auditHead() != .genesis || auditCheckpoint() != nil {
                throw SejfError(.decryptionFailure,
                    "The audit trail has events but the database no longer records its audit key's id: it has been tampered with.")
            }
            return { _ in [UInt8](repeating: 0, count: AuditChain.hashLength) }  // no event to hash
        }
        return Self.hasher(try keyRing.installationKey(.audit, expectedId: id))
    }

    private static func hasher(_ key: KeyEncryptionKey) -> @Sendable ([UInt8]) -> [UInt8] {
        { Hash.blake2b($0, key: key.bytes, length: AuditChain.hashLength) }
    }

    func accessKeySecret(_ id: String) throws -> SecureBytes? {
        guard let row = try Row.fetchOne(statement("SELECT principal, sealed_secret FROM access_keys WHERE id = ?"), arguments: [id]) else {
            return nil
        }
        guard let keyId = try installationKeyId(.system) else {
            throw SejfError(.decryptionFailure, "The store has access keys but no system key id.")
        }
        return try Envelope.openAccessKeySecret([UInt8](row["sealed_secret"] as Data), id: id, principal: row["principal"],
                                                key: try keyRing.installationKey(.system, expectedId: keyId))
    }

    func environment(_ name: EnvironmentName) throws -> EnvironmentRecord? {
        try metadata().environments.first { $0.name == name }
    }

    func keys(of environment: EnvironmentName) throws -> [KeyRecord] {
        try metadata().keys[environment] ?? []
    }

    func rotationProgress(of secret: SecretRecord) throws -> RotationProgress? {
        try Row.fetchOne(statement("SELECT * FROM rotations WHERE secret_id = ?"), arguments: [secret.rowId]).map { row in
            RotationProgress(token: row["token"], kind: RotationProgress.Kind(rawValue: row["kind"]) ?? .rotate, step: row["step"],
                             rotator: row["rotator"], principal: row["principal"], startedAt: row["started_at"],
                             lastError: row["last_error"], failures: row["failures"], retryAt: row["retry_at"],
                             holder: row["holder"], leaseUntil: row["lease_until"])
        }
    }

    func secretsDueForRotation(by time: Double) throws -> [SecretRecord] {
        let ids = try Int64.fetchAll(statement("""
            SELECT s.id FROM secrets s LEFT JOIN rotations r ON r.secret_id = s.id
            WHERE s.deleted_at IS NULL AND s.primary_id IS NULL AND (
                (r.secret_id IS NULL AND s.rotation_enabled = 1 AND s.next_rotation_at <= ?)
                OR (r.secret_id IS NOT NULL AND coalesce(r.retry_at, 0) <= ?))
            ORDER BY coalesce(r.retry_at, s.next_rotation_at), s.id
            """), arguments: [time, time])
        return try ids.compactMap { try secret(rowId: $0) }
    }

    func checksumKey(for environment: EnvironmentName) throws -> [UInt8] {
        guard let record = try keys(of: environment).first else {
            throw SejfError(.resourceNotFound, "Environment '\(environment)' has no key.")
        }
        return Hash.blake2b(Array("sejf.checksum-key.v1".utf8), key: try keyRing.key(for: record).bytes, length: 32)
    }

    func secret(_ identifier: SecretIdentifier, in environment: EnvironmentName) throws -> SecretRecord? {
        let names = identifier.candidateNames
        let account = try accountId()
        let rows = try Row.fetchCursor(statement("""
            SELECT secrets.*, secret_revisions.revision AS revision FROM secrets
            LEFT JOIN secret_revisions ON secret_id = id
            WHERE environment = ? AND name IN (\(databaseQuestionMarks(count: names.count))) ORDER BY name
            """), arguments: StatementArguments([environment.rawValue] + names))
        while let row = try rows.next() {
            let record = try cachedSecretRecord(row, account: account)
            if identifier.matches(record.arn) { return record }
        }
        return nil
    }

    /// The record of the secret in `row` (a `secrets` row with its `revision`). A read
    /// transaction takes it from the cache when the secret has not changed since it was decoded,
    /// and notes the revision it saw for ``versions(of:)``.
    private func cachedSecretRecord(_ row: Row, account: String) throws -> SecretRecord {
        guard let readSnapshot else { return try secretRecord(row, account: account) }
        let (id, revision): (Int64, Int64?) = (row["id"], row["revision"])
        readSnapshot.revisions[id] = revision
        if let revision, let cached = secretRecords.entry(id, revision: revision)?.record, cached.arn.account == account {
            return cached
        }
        let record = try secretRecord(row, account: account)
        if let revision { secretRecords.store(record, revision: revision) }
        return record
    }

    func secrets(in environment: EnvironmentName) throws -> [SecretRecord] {
        let account = try accountId()
        return try Row.fetchAll(statement("SELECT * FROM secrets WHERE environment = ? ORDER BY name"),
                                arguments: [environment.rawValue]).map { try secretRecord($0, account: account) }
    }

    func secrets(in environment: EnvironmentName, order: SecretListOrder, after position: SecretListOrder.Position?,
                 namePrefixes: [String]?, while visit: (SecretRecord) throws -> Bool) throws {
        // Each order has its index (migration v8), so a page reads only the rows it returns.
        let direction = order.descending ? "DESC" : "ASC"
        let beyond = order.descending ? "<" : ">"
        let value: String? = switch order.key {
        case .createdDate: "created_at"
        case .lastChangedDate: "last_changed_at"
        case .lastAccessedDate: "last_accessed_order"
        case .name: nil
        }
        var sql = "SELECT * FROM secrets WHERE environment = ?"
        var arguments: StatementArguments = [environment.rawValue]
        if let position {
            sql += value.map { " AND (\($0), name) \(beyond) (?, ?)" } ?? " AND name \(beyond) ?"
            arguments += value == nil ? [position.name] : [position.value, position.name]
        }
        if let namePrefixes {
            // Tested on the index's copy of the name, before a row is read and decoded.
            sql += " AND (" + namePrefixes.map { _ in "substr(name, 1, length(?)) = ?" }.joined(separator: " OR ") + ")"
            for prefix in namePrefixes { arguments += [prefix, prefix] }
        }
        sql += value.map { " ORDER BY \($0) \(direction), name \(direction)" } ?? " ORDER BY name \(direction)"
        let account = try accountId()
        let rows = try Row.fetchCursor(statement(sql), arguments: arguments)
        while let row = try rows.next(), try visit(try secretRecord(row, account: account)) {}
    }

    func secret(rowId: Int64) throws -> SecretRecord? {
        let account = try accountId()
        return try Row.fetchOne(statement("SELECT * FROM secrets WHERE id = ?"), arguments: [rowId]).map { try secretRecord($0, account: account) }
    }

    func replicas(of secret: SecretRecord) throws -> [SecretRecord] {
        let account = try accountId()
        return try Row.fetchAll(statement("SELECT * FROM secrets WHERE primary_id = ? ORDER BY environment"), arguments: [secret.rowId])
            .map { try secretRecord($0, account: account) }
    }

    func versions(of secret: SecretRecord) throws -> StagingLabels {
        let revision = readSnapshot?.revisions[secret.rowId]
        if let revision, let cached = secretRecords.entry(secret.rowId, revision: revision)?.versions { return cached }
        var stages: [String: [String]] = [:]
        for row in try Row.fetchAll(statement("SELECT version_id, label FROM labels WHERE secret_id = ? ORDER BY position"),
                                    arguments: [secret.rowId]) {
            stages[row["version_id"], default: []].append(row["label"])
        }
        let versions = try Row.fetchAll(statement("SELECT version_id, created_at FROM versions WHERE secret_id = ? ORDER BY created_at, rowid"),
                                        arguments: [secret.rowId]).map { row -> VersionSummary in
            let id: String = row["version_id"]
            return VersionSummary(id: id, createdAt: row["created_at"], stages: stages[id] ?? [])
        }
        let labels = StagingLabels(versions: versions)
        if let revision { secretRecords.store(labels, of: secret.rowId, revision: revision) }
        return labels
    }

    func value(of secret: SecretRecord, versionId: String) throws -> SecretValue {
        guard let row = try Row.fetchOne(statement("""
            SELECT is_binary, wrapped_key, ciphertext, key_id FROM versions WHERE secret_id = ? AND version_id = ?
            """), arguments: [secret.rowId, versionId]) else {
            throw SejfError.valueNotFound(versionId: versionId)
        }
        // The key's record comes with the metadata (versions.key_id references keys.id).
        let keyId: String = row["key_id"]
        guard let record = try metadata().keys.values.lazy.joined().first(where: { $0.id == keyId }) else {
            throw SejfError(.internalServiceError, "Storage error: version \(versionId) of \(secret.arn) names key \(keyId), which the database does not hold.")
        }
        let kek = try keyRing.key(for: record)
        let binding = Envelope.Binding(environment: secret.environment, arn: secret.arn.description, versionId: versionId)
        let sealed = Envelope.Sealed(wrappedKey: [UInt8](row["wrapped_key"] as Data), ciphertext: [UInt8](row["ciphertext"] as Data))
        let plaintext = try Envelope.open(sealed, binding: binding, kek: kek)
        if row["is_binary"] as Bool { return .binary(plaintext) }
        guard let string = String(validating: plaintext, as: UTF8.self) else {
            throw SejfError(.decryptionFailure, "Version \(versionId) of \(secret.arn) is marked as a string but is not UTF-8.")
        }
        return .string(string)
    }

    // MARK: Writing

    func setAccountId(_ account: String) throws {
        try statement("INSERT INTO meta (key, value) VALUES ('account_id', ?)").execute(arguments: [account])
    }

    func insertEnvironment(_ environment: EnvironmentRecord, key: KeyRecord) throws {
        try statement("INSERT INTO environments (name, description, namespace, created_at) VALUES (?, ?, ?, ?)")
            .execute(arguments: [environment.name.rawValue, environment.description, environment.namespace, environment.createdAt])
        try statement("""
            INSERT INTO keys (id, environment, source, kdf_salt, kdf_ops, kdf_mem, active, created_at)
            VALUES (?, ?, ?, ?, ?, ?, 1, ?)
            """).execute(arguments: [key.id, environment.name.rawValue, key.source.rawValue, key.salt.map { Data($0) },
                             key.kdf.map { Int64($0.opsLimit) }, key.kdf.map { Int64($0.memLimit) }, key.createdAt])
    }

    func insertPrincipal(_ principal: PrincipalRecord) throws {
        try statement("INSERT INTO principals (name, description, created_at) VALUES (?, ?, ?)")
            .execute(arguments: [principal.name, principal.description, principal.createdAt])
    }

    func deletePrincipal(named name: String) throws {
        try statement("DELETE FROM principals WHERE name = ?").execute(arguments: [name])
    }

    func insertAccessKey(_ key: AccessKeyRecord, secret: SecureBytes) throws {
        let sealed = try Envelope.sealAccessKeySecret(secret, id: key.id, principal: key.principal,
                                                      key: try installationKeyForWriting(.system))
        try statement("""
            INSERT INTO access_keys (id, principal, sealed_secret, status, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [key.id, key.principal, Data(sealed), key.status.rawValue, key.createdAt, key.lastUsedAt])
    }

    func updateAccessKey(_ key: AccessKeyRecord) throws {
        try statement("UPDATE access_keys SET status = ?, last_used_at = ? WHERE id = ?")
            .execute(arguments: [key.status.rawValue, key.lastUsedAt, key.id])
    }

    func deleteAccessKey(_ id: String) throws {
        try statement("DELETE FROM access_keys WHERE id = ?").execute(arguments: [id])
    }

    func appendAuditEvents(_ events: [AuditEvent]) throws -> [StoredAuditEvent] {
        let hash = Self.hasher(try installationKeyForWriting(.audit))
        var head = try auditHead()
        var stored: [StoredAuditEvent] = []
        let encoder = JSONEncoder()
        for event in events {
            let link = AuditChain.append(event, after: head, hash: hash)
            try statement("""
                INSERT INTO audit_events (sequence, time_ms, environment, principal, access_key_id, action, secret_arn,
                    version_id, version_stages, outcome, error_code, source_address, user_agent, request_id, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [link.sequence, event.time.milliseconds, event.environment, event.principal, event.accessKeyId,
                                 event.action, event.secretArn, event.versionId,
                                 String(decoding: try encoder.encode(event.versionStages), as: UTF8.self),
                                 event.outcome.rawValue, event.errorCode, event.sourceAddress, event.userAgent, event.requestId,
                                 Data(link.hash)])
            head = AuditCheckpoint(sequence: link.sequence, hash: link.hash, time: event.time)
            stored.append(link)
        }
        return stored
    }

    func pruneAudit(before time: AuditTime) throws -> AuditCheckpoint? {
        // The longest prefix of the chain dated before `time` (a clock that stepped back cannot
        // make it cut out newer events), as AuditChain.pruneCheckpoint defines it.
        guard let last = try Row.fetchOne(statement("""
            SELECT sequence, hash, time_ms FROM audit_events
            WHERE sequence < COALESCE((SELECT MIN(sequence) FROM audit_events WHERE time_ms >= ?), 9223372036854775807)
            ORDER BY sequence DESC LIMIT 1
            """), arguments: [time.milliseconds]) else { return nil }
        let checkpoint = AuditCheckpoint(sequence: last["sequence"], hash: [UInt8](last["hash"] as Data),
                                         time: AuditTime(milliseconds: last["time_ms"]))
        // The append-only trigger guards against accidents; pruning lifts it inside this transaction.
        try db.execute(sql: "DROP TRIGGER IF EXISTS audit_events_no_delete")
        try statement("DELETE FROM audit_events WHERE sequence <= ?").execute(arguments: [checkpoint.sequence])
        try db.execute(sql: """
            CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END
            """)
        try statement("INSERT INTO audit_checkpoints (sequence, hash, time_ms, mac) VALUES (?, ?, ?, ?)")
            .execute(arguments: [checkpoint.sequence, Data(checkpoint.hash), checkpoint.time.milliseconds,
                                   Data(Self.checkpointMAC(checkpoint, key: try installationKeyForWriting(.audit)))])
        return checkpoint
    }

    private func storedAuditEvent(_ row: Row) throws -> StoredAuditEvent {
        guard let outcome = AuditOutcome(rawValue: row["outcome"]) else {
            throw SejfError(.internalServiceError, "Unknown audit outcome in the database.")
        }
        let stages = try JSONDecoder().decode([String].self, from: Data((row["version_stages"] as String).utf8))
        let event = AuditEvent(
            time: AuditTime(milliseconds: row["time_ms"]), environment: row["environment"], principal: row["principal"],
            accessKeyId: row["access_key_id"], action: row["action"], secretArn: row["secret_arn"], versionId: row["version_id"],
            versionStages: stages, outcome: outcome, errorCode: row["error_code"], sourceAddress: row["source_address"],
            userAgent: row["user_agent"], requestId: row["request_id"])
        return StoredAuditEvent(sequence: row["sequence"], event: event, hash: [UInt8](row["hash"] as Data))
    }

    func saveRole(_ role: AccessRole, at time: Double) throws {
        try statement("""
            INSERT INTO roles (name, description, rules, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET description = excluded.description, rules = excluded.rules
            """).execute(arguments: [role.name, role.description, try Self.json(role.rules), time])
    }

    func deleteRole(named name: String) throws {
        try statement("DELETE FROM roles WHERE name = ?").execute(arguments: [name])
    }

    func saveBinding(_ binding: AccessBinding, at time: Double) throws {
        try statement("""
            INSERT INTO bindings (name, role, principals, environments, created_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET role = excluded.role, principals = excluded.principals,
                environments = excluded.environments
            """).execute(arguments: [binding.name, binding.role, try Self.json(binding.principals), try Self.json(binding.environments), time])
    }

    func deleteBinding(named name: String) throws {
        try statement("DELETE FROM bindings WHERE name = ?").execute(arguments: [name])
    }

    private static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The recorded installation key, or a new one recorded now.
    private func installationKeyForWriting(_ kind: InstallationKey) throws -> KeyEncryptionKey {
        if let id = try installationKeyId(kind) {
            return try keyRing.installationKey(kind, expectedId: id)
        }
        let key = try keyRing.createInstallationKey(kind)
        try statement("INSERT INTO meta (key, value) VALUES (?, ?)").execute(arguments: [kind.metaKey, key.id])
        return key
    }

    func insertSecret(_ secret: NewSecret) throws -> SecretRecord {
        try statement("""
            INSERT INTO secrets (environment, name, arn_suffix, description, kms_key_id, created_at, last_changed_at, primary_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [secret.arn.environment.rawValue, secret.arn.name, secret.arn.suffix, secret.description,
                             secret.kmsKeyId, secret.createdAt, secret.createdAt, secret.primaryRowId])
        let record = SecretRecord(rowId: db.lastInsertedRowID, arn: secret.arn, description: secret.description,
                                  kmsKeyId: secret.kmsKeyId, tags: secret.tags, createdAt: secret.createdAt,
                                  lastChangedAt: secret.createdAt, lastAccessedAt: nil, deletion: nil,
                                  primaryRowId: secret.primaryRowId, rotation: RotationSettings(), resourcePolicy: nil)
        try saveTags(record)
        return record
    }

    func recordAccess(toSecrets rowIds: [Int64], day: Double) throws {
        try statement("""
            UPDATE secrets SET last_accessed_at = ?
            WHERE id IN (\(databaseQuestionMarks(count: rowIds.count))) AND (last_accessed_at IS NULL OR last_accessed_at < ?)
            """).execute(arguments: [day] + StatementArguments(rowIds) + [day])
    }

    func updateSecret(_ secret: SecretRecord) throws {
        try statement("""
            UPDATE secrets SET description = ?, kms_key_id = ?, last_changed_at = ?,
                deleted_at = ?, purge_at = ?, primary_id = ?, rotation_enabled = ?, rotation_lambda_arn = ?,
                rotation_rules = ?, last_rotated_at = ?, next_rotation_at = ?, resource_policy = ? WHERE id = ?
            """).execute(arguments: [secret.description, secret.kmsKeyId, secret.lastChangedAt,
                             secret.deletion?.deletedAt, secret.deletion?.purgeAt, secret.primaryRowId, secret.rotation.enabled,
                             secret.rotation.rotatorARN, secret.rotation.rulesJSON, secret.rotation.lastRotatedAt,
                             secret.rotation.nextRotationAt, secret.resourcePolicy, secret.rowId])
        // Most changes (a new version) leave the tags as they are: rewriting them would cost two
        // index updates per tag.
        if try tags(ofSecretRow: secret.rowId) != secret.tags { try saveTags(secret) }
    }

    func insertVersion(of secret: SecretRecord, id: String, createdAt: Double, value: SecretValue) throws {
        guard let record = try keys(of: secret.environment).first else {
            throw SejfError(.encryptionFailure, "Environment '\(secret.environment)' has no key.")
        }
        let kek = try keyRing.key(for: record)
        let binding = Envelope.Binding(environment: secret.environment, arn: secret.arn.description, versionId: id)
        var plaintext = value.bytes
        defer { SecureBytes.wipe(&plaintext) }
        let sealed = try Envelope.seal(plaintext, binding: binding, kek: kek)
        try statement("""
            INSERT INTO versions (secret_id, version_id, created_at, is_binary, key_id, wrapped_key, ciphertext)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [secret.rowId, id, createdAt, value.isBinary, kek.id, Data(sealed.wrappedKey), Data(sealed.ciphertext)])
    }

    func saveVersions(_ labels: StagingLabels, of secret: SecretRecord) throws {
        try statement("DELETE FROM labels WHERE secret_id = ?").execute(arguments: [secret.rowId])
        let kept = Set(labels.versions.map(\.id))
        let stored = try String.fetchAll(statement("SELECT version_id FROM versions WHERE secret_id = ?"), arguments: [secret.rowId])
        for id in stored where !kept.contains(id) {
            try statement("DELETE FROM versions WHERE secret_id = ? AND version_id = ?").execute(arguments: [secret.rowId, id])
        }
        for version in labels.versions {
            for (position, label) in version.stages.enumerated() {
                try statement("INSERT INTO labels (secret_id, label, version_id, position) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [secret.rowId, label, version.id, position])
            }
        }
    }

    func saveRotationProgress(_ progress: RotationProgress?, of secret: SecretRecord) throws {
        guard let progress else {
            return try statement("DELETE FROM rotations WHERE secret_id = ?").execute(arguments: [secret.rowId])
        }
        try statement("""
            INSERT OR REPLACE INTO rotations (secret_id, token, kind, step, rotator, principal, started_at, last_error, failures,
                                              retry_at, holder, lease_until)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [secret.rowId, progress.token, progress.kind.rawValue, progress.step, progress.rotator, progress.principal,
                             progress.startedAt, progress.lastError, progress.failures, progress.retryAt, progress.holder,
                             progress.leaseUntil])
    }

    func purgeSecret(_ secret: SecretRecord) throws {
        try statement("DELETE FROM labels WHERE secret_id = ?").execute(arguments: [secret.rowId])
        try statement("DELETE FROM secrets WHERE id = ?").execute(arguments: [secret.rowId])
    }

    func purgeExpiredSecrets(now: Double) throws -> Int {
        try statement("DELETE FROM labels WHERE secret_id IN (SELECT id FROM secrets WHERE purge_at <= ?)").execute(arguments: [now])
        try statement("DELETE FROM secrets WHERE purge_at <= ?").execute(arguments: [now])
        return db.changesCount
    }

    // MARK: Rows

    private func tags(ofSecretRow id: Int64) throws -> [Tag] {
        try Row.fetchAll(statement("SELECT key, value FROM tags WHERE secret_id = ? ORDER BY position"), arguments: [id])
            .map { Tag(key: $0["key"], value: $0["value"]) }
    }

    private func saveTags(_ secret: SecretRecord) throws {
        try statement("DELETE FROM tags WHERE secret_id = ?").execute(arguments: [secret.rowId])
        for (position, tag) in secret.tags.enumerated() {
            try statement("INSERT INTO tags (secret_id, key, value, position) VALUES (?, ?, ?, ?)")
                .execute(arguments: [secret.rowId, tag.key, tag.value, position])
        }
    }

    private func principalRecord(_ row: Row) -> PrincipalRecord {
        PrincipalRecord(name: row["name"], description: row["description"], createdAt: row["created_at"])
    }

    private func accessKeyRecord(_ row: Row) throws -> AccessKeyRecord {
        guard let status = AccessKeyRecord.Status(rawValue: row["status"]) else {
            throw SejfError(.internalServiceError, "Unknown access key status in the database.")
        }
        return AccessKeyRecord(id: row["id"], principal: row["principal"], status: status, createdAt: row["created_at"],
                               lastUsedAt: row["last_used_at"])
    }

    private func secretRecord(_ row: Row, account: String) throws -> SecretRecord {
        let id: Int64 = row["id"]
        let tags = try tags(ofSecretRow: id)
        let deletedAt: Double? = row["deleted_at"]
        let purgeAt: Double? = row["purge_at"]
        let suffix: String = row["arn_suffix"]
        guard suffix.count == 6 else {
            throw SejfError(.internalServiceError, "Storage error: the secret in row \(id) has a malformed ARN suffix; the database was altered.")
        }
        return SecretRecord(
            rowId: id,
            arn: SecretARN(environment: try EnvironmentName(row["environment"]), account: account, name: row["name"], suffix: suffix),
            description: row["description"], kmsKeyId: row["kms_key_id"], tags: tags,
            createdAt: row["created_at"], lastChangedAt: row["last_changed_at"], lastAccessedAt: row["last_accessed_at"],
            deletion: deletedAt.flatMap { d in purgeAt.map { DeletionState(deletedAt: d, purgeAt: $0) } },
            primaryRowId: row["primary_id"],
            rotation: RotationSettings(enabled: row["rotation_enabled"], rotatorARN: row["rotation_lambda_arn"],
                                       rulesJSON: row["rotation_rules"], lastRotatedAt: row["last_rotated_at"],
                                       nextRotationAt: row["next_rotation_at"]),
            resourcePolicy: row["resource_policy"])
    }
}
