import Foundation
import GRDB
import SejfCore
import SejfCrypto

// Backups and restores of a data directory's database.
//
// A backup ("snapshot") is a plain SQLite database file in rollback-journal mode, made with
// SQLite's online backup API from one read transaction, so it is consistent even while a server
// writes. Values stay sealed as they are in `sejf.db`, and no key is in it: keys live outside the
// database. Restoring needs the same keys.
//
// Verifying a snapshot never opens the snapshot itself for writing: it is copied into a private
// temporary directory (0700) and every check runs on that copy. The copy is what a restore
// installs, so what was verified is exactly what is installed.

/// What a snapshot holds, as verification found it.
public struct SnapshotReport: Sendable, Equatable, Codable {
    /// One environment of the snapshot.
    public struct Environment: Sendable, Equatable, Codable {
        public var name: String
        /// The id of the environment's active key (a fingerprint, never key material).
        public var keyId: String
        /// Where the key at hand came from in the snapshot's record: `file`, `variable` or `passphrase`.
        public var keySource: String
        public var secrets: Int
        public var versions: Int
        /// Whether the newest version was decrypted (false only when the environment has no version).
        public var newestVersionDecrypted: Bool
    }

    /// The snapshot file verified.
    public var path: String
    public var bytes: Int64
    /// `PRAGMA integrity_check`: always `ok` in a report (anything else is refused).
    public var integrity: String
    /// The account id the snapshot's ARNs use.
    public var account: String
    /// The last schema migration the snapshot had, and the ones this build applies on restore.
    public var schema: String
    public var pendingMigrations: [String]
    public var environments: [Environment]
    public var secrets: Int
    public var versions: Int
    public var principals: Int
    /// Access keys, each opened with the system key at hand.
    public var accessKeys: Int
    /// The audit chain's head sequence (the number of events ever recorded, pruned ones included).
    public var auditEvents: Int64
    /// The events verified (those after the prune checkpoint).
    public var auditVerified: Int64
    /// The prune checkpoint's sequence, 0 when nothing was pruned.
    public var auditPrunedThrough: Int64
    /// The newest event: keep it as a checkpoint (`sejf audit verify --checkpoint`).
    public var auditHead: AuditCheckpoint
}

/// What ``SQLiteSecretStore/backup(_:to:keyRing:audit:)`` did.
public struct BackupReport: Sendable, Equatable, Codable {
    /// The database backed up.
    public var database: String
    /// The snapshot written.
    public var path: String
    public var bytes: Int64
    /// The time the online backup took, and the whole command (backup, fsync, verification, audit).
    public var backupSeconds: Double
    public var totalSeconds: Double
    /// The verification of the written snapshot.
    public var snapshot: SnapshotReport
    /// The audit event recording the backup, in the backed-up database (nil when not audited).
    public var auditSequence: Int64?
}

/// What ``SQLiteSecretStore/restore(_:into:keyRing:dryRun:audit:now:)`` did, or would do.
public struct RestoreReport: Sendable, Equatable, Codable {
    public var snapshot: SnapshotReport
    /// The database replaced (or created): `<data>/sejf.db`.
    public var database: String
    public var dryRun: Bool
    /// Whether a database was there to replace.
    public var replacesExisting: Bool
    /// Its size, when there was one.
    public var previousBytes: Int64?
    /// Where the previous database was kept (with its `-wal`/`-shm`, if it had them), or where
    /// a dry run would keep it. Nil when there was none.
    public var previousDatabase: String?
    /// Whether the snapshot is now in place.
    public var restored: Bool
    /// The audit event recording the restore, in the restored database (nil for a dry run or
    /// when not audited).
    public var auditSequence: Int64?
}

/// Who a backup or restore is recorded as, in the audit trail: the local operator by default.
/// The event has action `sejf:Backup` / `sejf:Restore`, environment `*` and no secret.
public struct AdministrativeAudit: Sendable {
    public static let backupAction = AuditAction.backup
    public static let restoreAction = AuditAction.restore
    /// The environment field of these events: they concern every environment.
    public static let allEnvironments = "*"

    public var principal: String
    public var sourceAddress: String
    public var userAgent: String
    public var requestId: String

    public init(principal: String = "admin", sourceAddress: String = "local", userAgent: String = "sejf-cli",
                requestId: String = randomUUIDString()) {
        self.principal = principal
        self.sourceAddress = sourceAddress
        self.userAgent = userAgent
        self.requestId = requestId
    }

    func event(_ action: String, at time: Date) -> AuditEvent {
        AuditEvent(time: AuditTime(secondsSince1970: time.timeIntervalSince1970), environment: Self.allEnvironments,
                   principal: principal, action: action, outcome: .allowed, sourceAddress: sourceAddress,
                   userAgent: userAgent, requestId: requestId)
    }
}

extension SQLiteSecretStore {
    /// Writes a consistent snapshot of `directory`'s database to `destination` with SQLite's
    /// online backup API (safe while a server writes: the copy is one read transaction), checks
    /// it (`integrity_check`), makes it durable (fsync of the file and its directory), verifies it
    /// as a restore would (``verifySnapshot(at:keyRing:)``), and records a `sejf:Backup` event
    /// in the database backed up. The file is created with mode 0600.
    ///
    /// When any step fails the file is removed and nothing is recorded: a backup that exists
    /// verified, and was audited (fail closed, as reads are).
    /// - Throws: `InvalidRequestException` when `destination` exists (never overwritten) or the
    ///   directory is not initialised; the verification's errors.
    public static func backup(_ directory: DataDirectory, to destination: String, keyRing: KeyRing,
                              audit: AdministrativeAudit? = AdministrativeAudit()) throws -> BackupReport {
        let started = Date()
        guard directory.isInitialised else {
            throw SejfError(.invalidRequest, "No Sejf data in \(directory.path): nothing to back up (or set --data / SEJF_DATA).")
        }
        guard access(destination, F_OK) != 0 else {
            throw SejfError(.invalidRequest, "\(destination) already exists; refusing to overwrite it: choose a new file name.")
        }
        // The snapshot is written under a private name and linked into place only once verified
        // and audited: a backup killed half-way leaves `<destination>.partial-XXXXXX`, never a
        // file under the name asked for.
        let partial = try SnapshotFiles.createPartial(for: destination)
        defer { for suffix in ["", "-journal", "-wal", "-shm"] { unlink(partial + suffix) } }
        do {
            let copied = Date()
            try onlineBackup(from: directory.databasePath, to: partial)
            let backupSeconds = Date().timeIntervalSince(copied)
            try SnapshotFiles.fsyncFile(partial)
            var snapshot = try withVerifiedCopy(of: partial, keyRing: keyRing) { report, _ in report }
            snapshot.path = destination
            var sequence: Int64?
            if let audit {
                sequence = try appendEvent(audit.event(AdministrativeAudit.backupAction, at: Date()),
                                           to: directory.databasePath, keyRing: keyRing)
            }
            try SnapshotFiles.publish(partial, as: destination)
            return BackupReport(database: directory.databasePath, path: destination, bytes: snapshot.bytes,
                                backupSeconds: backupSeconds, totalSeconds: Date().timeIntervalSince(started),
                                snapshot: snapshot, auditSequence: sequence)
        } catch {
            if let error = error as? SejfError {
                throw SejfError(error.code, "The backup to \(destination) failed and was removed: \(error.message)")
            }
            throw storageError(error, path: destination)
        }
    }

    /// Checks a snapshot without changing it: SQLite's `integrity_check` and foreign keys; a
    /// schema this build knows (not a newer Sejf's); the audit chain, with the audit key at hand
    /// (and the prune checkpoint's MAC); every environment's key record against the key ring
    /// (key id match) and the newest version of each environment decrypted; every access key's
    /// secret opened with the system key. Counts what it holds.
    ///
    /// - Throws: `InvalidRequestException` for a damaged file, a foreign or newer schema, or an
    ///   audit chain that does not verify; `DecryptionFailure`, naming the environment or key,
    ///   when the keys at hand do not open it. Never key bytes or values in a message.
    public static func verifySnapshot(at path: String, keyRing: KeyRing) throws -> SnapshotReport {
        try withVerifiedCopy(of: path, keyRing: keyRing) { report, _ in report }
    }

    /// Replaces `directory`'s database with a snapshot, after verifying it with the keys at hand
    /// (nothing is touched when verification fails).
    ///
    /// With `dryRun`, it verifies and reports what it would do, and changes nothing (not even
    /// the lock file). Otherwise it takes the directory's exclusive lock (refused while a
    /// server runs), records a `sejf:Restore` event at the end of the snapshot's audit chain,
    /// writes the snapshot to `<data>/sejf.db.restoring` (fsync), keeps the current database as
    /// `<data>/sejf.db.before-restore-<UTC time>` (after a checkpoint; its `-wal`/`-shm` beside it
    /// under the same name — never deleted), renames the new file into place (atomic) and
    /// fsyncs the directory. A data directory without a database is created.
    public static func restore(_ snapshot: String, into directory: DataDirectory, keyRing: KeyRing, dryRun: Bool = false,
                               audit: AdministrativeAudit? = AdministrativeAudit(), now: Date = Date()) throws -> RestoreReport {
        let database = directory.databasePath
        if let a = SnapshotFiles.canonical(snapshot), let b = SnapshotFiles.canonical(database), a == b {
            throw SejfError(.invalidRequest, "\(snapshot) is the database of \(directory.path) itself; restore a backup made with `sejf backup`.")
        }
        return try withVerifiedCopy(of: snapshot, keyRing: keyRing) { report, copy in
            let existing = FileManager.default.fileExists(atPath: database)
            let previousBytes = existing ? SnapshotFiles.size(database) : nil
            var result = RestoreReport(snapshot: report, database: database, dryRun: dryRun, replacesExisting: existing,
                                       previousBytes: previousBytes,
                                       previousDatabase: existing ? SnapshotFiles.asideName(for: database, at: now) : nil,
                                       restored: false, auditSequence: nil)
            if dryRun { return result }

            try directory.create()
            let lock = try directory.lockExclusively()
            defer { lock.release() }

            // The event goes at the end of the snapshot's chain, in the private copy: it is
            // installed with it, or not at all.
            if let audit {
                result.auditSequence = try appendEvent(audit.event(AdministrativeAudit.restoreAction, at: Date()),
                                                       to: copy, keyRing: keyRing)
            }
            try SnapshotFiles.makeSelfContained(copy)

            let restoring = database + ".restoring"
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(restoring + suffix) }  // a failed restore's leftovers
            do {
                try SnapshotFiles.copy(copy, to: restoring)
                result.previousDatabase = try SnapshotFiles.install(restoring, as: database, at: now)
            } catch {
                unlink(restoring)
                throw error
            }
            result.restored = true
            return result
        }
    }

    // MARK: - Steps

    /// Appends one event to the audit chain of the database at `path` (its connections are
    /// closed on return).
    private static func appendEvent(_ event: AuditEvent, to path: String, keyRing: KeyRing) throws -> Int64? {
        let store = try SQLiteSecretStore(path: path, keyRing: keyRing)
        return try store.write { try $0.appendAuditEvents([event]) }.last?.sequence
    }

    /// SQLite's online backup from a read-only connection to `sourcePath` into the (empty)
    /// database file at `destination`, then `journal_mode = DELETE` so the snapshot is one
    /// self-contained file, and `integrity_check`.
    static func onlineBackup(from sourcePath: String, to destination: String) throws {
        var sourceConfiguration = Configuration()
        sourceConfiguration.readonly = true
        sourceConfiguration.busyMode = .timeout(10)
        sourceConfiguration.label = "sejf-backup-source"
        var destinationConfiguration = Configuration()
        destinationConfiguration.busyMode = .timeout(10)
        destinationConfiguration.label = "sejf-backup"
        do {
            let source = try DatabaseQueue(path: sourcePath, configuration: sourceConfiguration)
            let target = try DatabaseQueue(path: destination, configuration: destinationConfiguration)
            try source.backup(to: target)
            let integrity = try target.writeWithoutTransaction { db -> [String] in
                let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
                guard mode == "delete" else {
                    throw SejfError(.internalServiceError, "Cannot put the snapshot in rollback-journal mode (it stayed \(mode ?? "unknown")).")
                }
                return try String.fetchAll(db, sql: "PRAGMA integrity_check")
            }
            try target.close()
            try source.close()
            guard integrity == ["ok"] else {
                throw SejfError(.internalServiceError,
                    "The snapshot failed SQLite's integrity check: \(integrity.prefix(3).joined(separator: "; ")).")
            }
        } catch let error as DatabaseError {
            throw storageError(error, path: "\(sourcePath) (backing up to \(destination))")
        }
    }

    /// Copies the snapshot into a private temporary directory, verifies the copy, and calls
    /// `body` with the report and the copy's path (the copy is removed afterwards).
    private static func withVerifiedCopy<T>(of snapshot: String, keyRing: KeyRing,
                                            _ body: (SnapshotReport, String) throws -> T) throws -> T {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: snapshot, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw SejfError(.resourceNotFound, "No snapshot file at \(snapshot).")
        }
        if SnapshotFiles.size(snapshot + "-wal") ?? 0 > 0 {
            throw SejfError(.invalidRequest,
                "\(snapshot) has a write-ahead log beside it (\(snapshot)-wal): it is a live database, not a snapshot; make one with `sejf backup`.")
        }
        let directory = try SnapshotFiles.privateTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let copy = (directory as NSString).appendingPathComponent("sejf.db")
        let bytes = try SnapshotFiles.copy(snapshot, to: copy)
        let report = try verifyCopy(copy, of: snapshot, bytes: bytes, keyRing: keyRing)
        return try body(report, copy)
    }

    /// The checks of ``verifySnapshot(at:keyRing:)``, on a private copy (which may be migrated).
    private static func verifyCopy(_ copy: String, of snapshot: String, bytes: Int64, keyRing: KeyRing) throws -> SnapshotReport {
        let (schema, pending, contents) = try inspectFile(copy, of: snapshot)
        let store: SQLiteSecretStore
        do {
            store = try SQLiteSecretStore(path: copy, keyRing: keyRing)
        } catch let error as SejfError {
            throw SejfError(.invalidRequest, "\(snapshot) cannot be opened as a Sejf database: \(error.message)")
        }
        return try store.read { reader in
            let account = try reader.accountId()
            var environments: [SnapshotReport.Environment] = []
            var secretCount = 0
            var versionCount = 0
            for environment in try reader.environments() {
                let records = try reader.keys(of: environment.name)
                guard let active = records.first else {
                    throw SejfError(.invalidRequest, "Environment '\(environment.name)' of \(snapshot) has no key record.")
                }
                // The active key, and every key a version is wrapped under (a retired key may
                // keep its record after its key file is gone).
                for record in records where record.id == active.id || contents.keysInUse.contains(record.id) {
                    do {
                        _ = try keyRing.key(for: record)
                    } catch let error as SejfError {
                        throw SejfError(.decryptionFailure, "The keys at hand do not open \(snapshot): \(error.message)")
                    }
                }
                let content = contents[environment.name.rawValue] ?? FileContents.Environment()
                if let newest = content.newest {
                    do {
                        guard let secret = try reader.secret(rowId: newest.secretRowId) else {
                            throw SejfError(.internalServiceError, "Secret row \(newest.secretRowId) is missing.")
                        }
                        _ = try reader.value(of: secret, versionId: newest.versionId)
                    } catch let error as SejfError {
                        throw SejfError(.decryptionFailure,
                            "The newest version in environment '\(environment.name)' of \(snapshot) does not decrypt with the keys at hand: \(error.message)")
                    }
                }
                environments.append(.init(name: environment.name.rawValue, keyId: active.id, keySource: active.source.rawValue,
                                          secrets: content.secrets, versions: content.versions,
                                          newestVersionDecrypted: content.newest != nil))
                secretCount += content.secrets
                versionCount += content.versions
            }
            let accessKeys = try reader.accessKeys(of: nil)
            for key in accessKeys {
                do {
                    _ = try reader.accessKeySecret(key.id)
                } catch let error as SejfError {
                    throw SejfError(.decryptionFailure, "The system key at hand does not open \(snapshot): \(error.message)")
                }
            }
            let audit = try verifyAudit(reader, snapshot: snapshot)
            return SnapshotReport(
                path: snapshot, bytes: bytes, integrity: "ok", account: account, schema: schema, pendingMigrations: pending,
                environments: environments, secrets: secretCount, versions: versionCount,
                principals: try reader.principals().count, accessKeys: accessKeys.count,
                auditEvents: audit.head.sequence, auditVerified: audit.verifiedCount, auditPrunedThrough: audit.start.sequence,
                auditHead: audit.head)
        }
    }

    /// Walks the snapshot's audit chain, as `sejf audit verify` does.
    private static func verifyAudit(_ reader: any SecretStoreReader, snapshot: String) throws -> AuditVerification {
        let checkpoint: AuditCheckpoint?
        let hash: @Sendable ([UInt8]) -> [UInt8]
        do {
            checkpoint = try reader.auditCheckpoint()
            hash = try reader.auditHasher()
        } catch let error as SejfError {
            throw SejfError(error.code, "The audit trail of \(snapshot) cannot be verified: \(error.message)")
        }
        var verifier = AuditChainVerifier(startingAfter: checkpoint)
        var after = checkpoint?.sequence ?? 0
        let pageSize = 10_000
        walk: while true {
            let page = try reader.auditEvents(after: after, limit: pageSize)
            for event in page where !verifier.consume(event, hash: hash) { break walk }
            guard let last = page.last, page.count == pageSize else { break }
            after = last.sequence
        }
        let result = verifier.result
        guard result.isIntact else {
            throw SejfError(.invalidRequest, "The audit trail of \(snapshot) does not verify: \(result.message)")
        }
        let head = try reader.auditHead()
        guard head.sequence == result.head.sequence else {
            throw SejfError(.invalidRequest, "The audit trail of \(snapshot) does not verify: it ends at event \(head.sequence) but verified only to \(result.head.sequence).")
        }
        return result
    }

    /// The file-level checks, read-only: a SQLite database that passes `integrity_check` and
    /// `foreign_key_check`, with Sejf's schema at a version this build knows. Returns the last
    /// migration applied, those this build would still apply, and what the file holds (counted
    /// in SQL: one query per environment rather than per secret).
    private static func inspectFile(_ copy: String, of snapshot: String) throws -> (String, [String], FileContents) {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "sejf-verify"
        do {
            let queue = try DatabaseQueue(path: copy, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                guard integrity == ["ok"] else {
                    throw SejfError(.invalidRequest,
                        "\(snapshot) failed SQLite's integrity check (\(integrity.prefix(3).joined(separator: "; "))): the file is damaged; nothing was changed.")
                }
                guard try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty else {
                    throw SejfError(.invalidRequest, "\(snapshot) failed SQLite's foreign key check: the file is damaged; nothing was changed.")
                }
                let migrator = Schema.migrator
                guard try db.tableExists("grdb_migrations"), try db.tableExists("meta") else {
                    throw SejfError(.invalidRequest, "\(snapshot) is a SQLite database, but not a Sejf database.")
                }
                let applied = try migrator.appliedIdentifiers(db)
                let unknown = applied.subtracting(migrator.migrations).sorted()
                guard unknown.isEmpty else {
                    throw SejfError(.invalidRequest,
                        "\(snapshot) was made by a newer version of Sejf: its schema migration '\(unknown[0])' is unknown to this build; restore it with that version.")
                }
                let done = try migrator.appliedMigrations(db)
                guard let last = done.last else {
                    throw SejfError(.invalidRequest, "\(snapshot) is a SQLite database, but not a Sejf database (no schema).")
                }
                return (last, migrator.migrations.filter { !applied.contains($0) }, try FileContents(db))
            }
        } catch let error as DatabaseError {
            let detail = error.message.map { " (SQLite: \($0))" } ?? ""
            switch error.resultCode {
            case .SQLITE_CORRUPT:
                throw SejfError(.invalidRequest, "\(snapshot) failed SQLite's integrity check\(detail): the file is damaged; nothing was changed.")
            case .SQLITE_NOTADB:
                throw SejfError(.invalidRequest, "\(snapshot) is not a SQLite database, or its header is damaged; nothing was changed.")
            default:
                throw SejfError(.invalidRequest, "\(snapshot) cannot be read\(detail); nothing was changed.")
            }
        }
    }
}

/// What a snapshot holds, counted in SQL on the read-only connection.
private struct FileContents {
    struct Environment {
        var secrets = 0
        var versions = 0
        /// The newest version (by creation time, then insertion), to decrypt.
        var newest: (secretRowId: Int64, versionId: String)?
    }

    /// By environment name.
    var environments: [String: Environment] = [:]
    /// The ids of the keys versions are wrapped under.
    var keysInUse: Set<String> = []

    subscript(_ name: String) -> Environment? { environments[name] }

    init(_ db: Database) throws {
        for row in try Row.fetchAll(db, sql: "SELECT environment, COUNT(*) AS n FROM secrets GROUP BY environment") {
            environments[row["environment"], default: Environment()].secrets = row["n"]
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT s.environment, COUNT(*) AS n FROM versions v JOIN secrets s ON s.id = v.secret_id GROUP BY s.environment
            """) {
            environments[row["environment"], default: Environment()].versions = row["n"]
        }
        for name in environments.keys {
            if let row = try Row.fetchOne(db, sql: """
                SELECT v.secret_id, v.version_id FROM versions v JOIN secrets s ON s.id = v.secret_id
                WHERE s.environment = ? ORDER BY v.created_at DESC, v.rowid DESC LIMIT 1
                """, arguments: [name]) {
                environments[name]?.newest = (row["secret_id"], row["version_id"])
            }
        }
        keysInUse = Set(try String.fetchAll(db, sql: "SELECT DISTINCT key_id FROM versions"))
    }
}

/// File operations of backups and restores, with their fsyncs.
enum SnapshotFiles {
    /// The path with symbolic links and `..` resolved, or nil when it does not exist.
    static func canonical(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// A new directory (mode 0700) under the temporary directory.
    static func privateTemporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("sejf-snapshot-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let path = mkdtemp(buffer.baseAddress!) else { return nil }
            return String(cString: path)
        }
        guard let created else {
            throw SejfError(.internalServiceError, "Cannot create a temporary directory: \(String(cString: strerror(errno))).")
        }
        return created
    }

    /// Copies `source` to the new file `destination` (mode 0600, refused if it exists) and
    /// fsyncs it; returns the bytes copied.
    @discardableResult
    static func copy(_ source: String, to destination: String) throws -> Int64 {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw SejfError(.invalidRequest, "Cannot read \(source): \(String(cString: strerror(errno))).")
        }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else {
            throw SejfError(.internalServiceError, "Cannot create \(destination): \(String(cString: strerror(errno))).")
        }
        var done = false
        defer {
            close(output)
            if !done { unlink(destination) }
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SejfError(.internalServiceError, "Cannot read \(source): \(String(cString: strerror(errno))).")
            }
            if count == 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SejfError(.internalServiceError, "Cannot write \(destination): \(String(cString: strerror(errno))).")
                }
                offset += written
            }
            total += Int64(count)
        }
        guard fsync(output) == 0 else {
            throw SejfError(.internalServiceError, "Cannot write \(destination) durably: \(String(cString: strerror(errno))).")
        }
        done = true
        return total
    }

    /// Creates `<destination>.partial-XXXXXX` (mode 0600, a new unique name) and returns its path.
    static func createPartial(for destination: String) throws -> String {
        var template = Array("\(destination).partial-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw SejfError(.invalidRequest, "Cannot create a file beside \(destination): \(String(cString: strerror(errno))).")
        }
        fchmod(fd, 0o600)
        close(fd)
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Gives the finished file `partial` the name `destination` with a hard link (which, unlike a
    /// rename, never replaces a file created there meanwhile) and makes the name durable. The
    /// caller removes `partial`.
    static func publish(_ partial: String, as destination: String) throws {
        if link(partial, destination) != 0 {
            let code = errno
            if code == EEXIST {
                throw SejfError(.invalidRequest, "\(destination) was created by someone else during the backup; refusing to overwrite it.")
            }
            // A file system without hard links: a rename, if the name is still free.
            guard [EPERM, ENOTSUP, EOPNOTSUPP].contains(code), access(destination, F_OK) != 0 else {
                throw SejfError(.internalServiceError, "Cannot create \(destination): \(String(cString: strerror(code))).")
            }
            try move(partial, to: destination)
        }
        do {
            try fsyncDirectory(of: destination)
        } catch {
            unlink(destination)
            throw error
        }
    }

    static func fsyncFile(_ path: String) throws {
        try syncToDisk(path, flags: O_RDONLY, what: "write \(path) durably")
    }

    /// Makes a rename or a new file in `path`'s directory durable.
    static func fsyncDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try syncToDisk(directory.isEmpty ? "." : directory, flags: O_RDONLY | O_DIRECTORY, what: "sync the directory \(directory)")
    }

    private static func syncToDisk(_ path: String, flags: Int32, what: String) throws {
        let fd = open(path, flags | O_CLOEXEC)
        defer { if fd >= 0 { close(fd) } }
        guard fd >= 0, fsync(fd) == 0 else {
            throw SejfError(.internalServiceError, "Cannot \(what): \(String(cString: strerror(errno))).")
        }
    }

    /// Folds any write-ahead log into the file and leaves it in rollback-journal mode, so the
    /// file alone is the whole database.
    static func makeSelfContained(_ path: String) throws {
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in
                guard try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") == "delete" else {
                    throw SejfError(.internalServiceError, "Cannot checkpoint \(path).")
                }
            }
            try queue.close()
        } catch let error as DatabaseError {
            throw SQLiteSecretStore.storageError(error, path: path)
        }
        try fsyncFile(path)
    }

    /// `<database>.before-restore-20260101T120000Z` (with `-2`, `-3`… when taken).
    static func asideName(for database: String, at time: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let base = "\(database).before-restore-\(formatter.string(from: time))"
        var name = base
        var n = 1
        while ["", "-wal", "-shm"].contains(where: { FileManager.default.fileExists(atPath: name + $0) }) {
            n += 1
            name = "\(base)-\(n)"
        }
        return name
    }

    /// Puts `restoring` in place as `database`. The current database, if any, is checkpointed
    /// (best effort: a damaged one cannot be) and kept under a new name with its `-wal`/`-shm`;
    /// `database` is replaced by an atomic rename. Returns where the previous database was kept.
    static func install(_ restoring: String, as database: String, at time: Date) throws -> String? {
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: database) else {
            // A -wal or -shm without its database must not meet the new file: kept aside, as a
            // previous database would be.
            let orphans = ["-wal", "-shm"].filter { fileManager.fileExists(atPath: database + $0) }
            let aside = orphans.isEmpty ? nil : asideName(for: database, at: time)
            for suffix in orphans { try move(database + suffix, to: aside! + suffix) }
            try move(restoring, to: database)
            try fsyncDirectory(of: database)
            return nil
        }
        checkpoint(database)
        let aside = asideName(for: database, at: time)
        // A hard link keeps `database` in place until the atomic rename replaces it; where
        // links are not supported, the file is renamed (a moment without a database).
        let linked = link(database, aside) == 0
        if !linked { try move(database, to: aside) }
        var moved: [(String, String)] = []
        do {
            for suffix in ["-wal", "-shm"] where fileManager.fileExists(atPath: database + suffix) {
                try move(database + suffix, to: aside + suffix)
                moved.append((database + suffix, aside + suffix))
            }
            try fsyncDirectory(of: database)
            try move(restoring, to: database)
        } catch {
            // Put the previous database back as it was.
            for (from, to) in moved.reversed() { rename(to, from) }
            if linked { unlink(aside) } else { rename(aside, database) }
            throw error
        }
        try fsyncDirectory(of: database)
        return aside
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)` on a database nobody else should be using; errors ignored.
    private static func checkpoint(_ database: String) {
        guard let queue = try? DatabaseQueue(path: database) else { return }
        _ = try? queue.writeWithoutTransaction { db in try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try? queue.close()
    }

    private static func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else {
            throw SejfError(.internalServiceError, "Cannot rename \(from) to \(to): \(String(cString: strerror(errno))).")
        }
    }
}
