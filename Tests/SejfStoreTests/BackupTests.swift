import Foundation
import GRDB
import Testing
import SejfCore
import SejfCrypto
@testable import SejfStore

/// `sejf backup` / `sejf restore` at the store layer: real SQLite files, real key files.
struct BackupTests {
    /// A fixture with 3 secrets in dev and 2 in prod (one of them with 2 versions), a principal
    /// with an access key, and 5 audit events.
    final class Populated: @unchecked Sendable {
        let f: StoreFixture
        let values: [(name: String, env: EnvironmentName, value: SecretValue)]
        let scratch: String

        init() throws {
            f = try StoreFixture()
            scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sejf-backup-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            values = [("db/password", f.dev, .string("dev-password-\(UUID().uuidString)")),
                      ("api/token", f.dev, .string("zażółć-\(UUID().uuidString)")),
                      ("tls/key", f.dev, .binary(Array(repeating: 0xA5, count: 300) + randomBytes(count: 16))),
                      ("db/password", f.prod, .string("prod-password-\(UUID().uuidString)")),
                      ("api/token", f.prod, .string("prod-token-v1"))]
            var rotated: SecretRecord?
            for (name, env, value) in values {
                let secret = try f.createSecret(name, value: value, in: env)
                if name == "api/token", env == f.prod { rotated = secret }
            }
            // A second version of prod's api/token, now AWSCURRENT.
            try f.store.write { w in
                let secret = try #require(rotated)
                try w.insertVersion(of: secret, id: "v-2", createdAt: 2, value: .string("prod-token-v2"))
                try w.saveVersions(StagingLabels(versions: [
                    VersionSummary(id: "v-1", createdAt: 1, stages: [StagingLabels.previous]),
                    VersionSummary(id: "v-2", createdAt: 2, stages: [StagingLabels.current])]), of: secret)
                try w.insertPrincipal(PrincipalRecord(name: "api", description: "", createdAt: 1))
                try w.insertAccessKey(AccessKeyRecord(id: "AKIATESTBACKUP000001", principal: "api", status: .active, createdAt: 1),
                                      secret: SecureBytes.random(count: 30))
                _ = try w.appendAuditEvents((1...5).map { i in
                    AuditEvent(time: AuditTime(milliseconds: 1_000 * Int64(i)), environment: "dev", principal: "api",
                               action: AuditAction.getSecretValue, outcome: .allowed, sourceAddress: "10.0.0.\(i)",
                               userAgent: "test", requestId: "r-\(i)")
                })
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: scratch) }

        func path(_ name: String) -> String { (scratch as NSString).appendingPathComponent(name) }

        /// A new, empty data directory that uses the fixture's key directory.
        func freshDirectory(_ name: String = "restored") -> DataDirectory {
            DataDirectory(path: path(name), keyDirectory: f.directory.keyDirectory)
        }

        func backup(_ name: String = "backup.db", audit: AdministrativeAudit? = AdministrativeAudit()) throws -> BackupReport {
            try SQLiteSecretStore.backup(f.directory, to: path(name), keyRing: KeyRing(directory: f.directory, variables: [:]), audit: audit)
        }
    }

    static func sha256(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { Hash.hex(Hash.sha256([UInt8]($0))) }
    }

    static func listing(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    static func expectCounts(_ report: SnapshotReport, auditEvents: Int64) {
        #expect(report.integrity == "ok")
        #expect(report.environments.map(\.name) == ["dev", "prod"])
        #expect(report.environments.map(\.secrets) == [3, 2])
        #expect(report.environments.map(\.versions) == [3, 3])
        #expect(report.environments.filter { !$0.newestVersionDecrypted }.isEmpty)
        #expect(report.secrets == 5)
        #expect(report.versions == 6)
        #expect(report.principals == 2)  // api, and sejf-scheduler (migration v5)
        #expect(report.accessKeys == 1)
        #expect(report.auditEvents == auditEvents)
        #expect(report.auditVerified == auditEvents)
        #expect(report.pendingMigrations.isEmpty)
        #expect(report.account == "123456789012")
    }

    @Test func backupVerifyAndRestoreIntoAFreshDirectory() throws {
        let p = try Populated()
        let report = try p.backup()
        Self.expectCounts(report.snapshot, auditEvents: 5)
        #expect(report.bytes > 0 && report.bytes == Int64(FileManager.default.contents(atPath: report.path)!.count))
        print("backup of 5 secrets / 6 versions / 5 events: \(report.bytes) bytes, online backup \(report.backupSeconds) s, with verification \(report.totalSeconds) s")

        // Owner-only, one self-contained file in rollback-journal mode, nothing beside it.
        let mode = (try FileManager.default.attributesOfItem(atPath: report.path)[.posixPermissions] as! NSNumber).intValue & 0o777
        #expect(mode == 0o600)
        #expect(Self.listing(p.scratch) == ["backup.db"])
        var readOnly = Configuration()
        readOnly.readonly = true
        let journal = try DatabaseQueue(path: report.path, configuration: readOnly).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(journal == "delete")
        // No value in clear in the snapshot.
        let snapshotBytes = try #require(FileManager.default.contents(atPath: report.path))
        for (_, _, value) in p.values { #expect(snapshotBytes.range(of: Data(value.bytes)) == nil) }

        // The backup is recorded in the live database's audit trail, after the 5 events.
        #expect(report.auditSequence == 6)
        let last = try p.f.store.read { try $0.auditEvents(after: 5, limit: 10) }
        #expect(last.map(\.event.action) == [AdministrativeAudit.backupAction])
        #expect(last.first?.event.principal == "admin")
        #expect(last.first?.event.environment == "*")

        // Verifying again (as restore does) reports the same, and does not change the file.
        let before = Self.sha256(report.path)
        Self.expectCounts(try SQLiteSecretStore.verifySnapshot(at: report.path, keyRing: KeyRing(directory: p.f.directory, variables: [:])),
                          auditEvents: 5)
        #expect(Self.sha256(report.path) == before)
        #expect(Self.listing(p.scratch) == ["backup.db"])

        // Restore into a fresh data directory with the same keys, and read every value back.
        let target = p.freshDirectory()
        let restored = try SQLiteSecretStore.restore(report.path, into: target, keyRing: KeyRing(directory: target, variables: [:]))
        #expect(restored.restored && !restored.dryRun && !restored.replacesExisting && restored.previousDatabase == nil)
        #expect(restored.auditSequence == 6)
        #expect(Self.sha256(report.path) == before)
        let store = try SQLiteSecretStore(path: target.databasePath, keyRing: KeyRing(directory: target, variables: [:]))
        try store.read { r in
            for (name, env, value) in p.values where !(name == "api/token" && env == p.f.prod) {
                let secret = try #require(try r.secret(.name(name), in: env))
                #expect(try r.value(of: secret, versionId: "v-1") == value)
            }
            let rotated = try #require(try r.secret(.name("api/token"), in: p.f.prod))
            #expect(try r.value(of: rotated, versionId: "v-2") == .string("prod-token-v2"))
            #expect(try r.value(of: rotated, versionId: "v-1") == .string("prod-token-v1"))
            #expect(try r.accessKeySecret("AKIATESTBACKUP000001") != nil)
            let events = try r.auditEvents(after: 0, limit: 100)
            #expect(events.map(\.sequence) == [1, 2, 3, 4, 5, 6])
            #expect(events.last?.event.action == AdministrativeAudit.restoreAction)
        }
        #expect(try store.integrityCheck() == "ok")
        #expect(Self.listing(target.path).contains(".lock"))
        #expect(!Self.listing(target.path).contains { $0.contains("restoring") || $0.contains("before-restore") })
    }

    @Test func restoreOverAnExistingDatabaseKeepsThePreviousOne() throws {
        let p = try Populated()
        let report = try p.backup()
        // A change after the backup: the restore takes it away, the kept database still has it.
        try p.f.createSecret("after/backup", value: .string("later"), in: p.f.dev)
        let now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z
        let restored = try SQLiteSecretStore.restore(report.path, into: p.f.directory,
                                                     keyRing: KeyRing(directory: p.f.directory, variables: [:]), now: now)
        #expect(restored.replacesExisting && restored.restored)
        let aside = try #require(restored.previousDatabase)
        #expect(aside == p.f.directory.databasePath + ".before-restore-20270115T080000Z")
        #expect(FileManager.default.fileExists(atPath: aside))

        let current = try p.f.reopen()
        #expect(try current.read { try $0.secret(.name("after/backup"), in: p.f.dev) } == nil)
        #expect(try current.read { try $0.secrets(in: p.f.dev).count } == 3)
        let previous = try SQLiteSecretStore(path: aside, keyRing: KeyRing(directory: p.f.directory, variables: [:]))
        let kept = try #require(try previous.read { try $0.secret(.name("after/backup"), in: p.f.dev) })
        #expect(try previous.read { try $0.value(of: kept, versionId: "v-1") } == .string("later"))

        // A second restore in the same second keeps both previous databases.
        let again = try SQLiteSecretStore.restore(report.path, into: p.f.directory,
                                                  keyRing: KeyRing(directory: p.f.directory, variables: [:]), now: now)
        #expect(again.previousDatabase == aside + "-2")
        #expect(FileManager.default.fileExists(atPath: aside))
    }

    @Test func dryRunChangesNothing() throws {
        let p = try Populated()
        let report = try p.backup()
        try p.f.createSecret("after/backup", value: .string("later"), in: p.f.dev)
        let database = p.f.directory.databasePath
        let before = (Self.sha256(database), Self.listing(p.f.directory.path), Self.sha256(report.path))
        let plan = try SQLiteSecretStore.restore(report.path, into: p.f.directory,
                                                 keyRing: KeyRing(directory: p.f.directory, variables: [:]), dryRun: true)
        #expect(plan.dryRun && !plan.restored && plan.replacesExisting && plan.auditSequence == nil)
        #expect(plan.previousDatabase?.hasPrefix(database + ".before-restore-") == true)
        Self.expectCounts(plan.snapshot, auditEvents: 5)
        #expect((Self.sha256(database), Self.listing(p.f.directory.path), Self.sha256(report.path)) == before)
        #expect(!FileManager.default.fileExists(atPath: p.f.directory.lockFilePath))

        // Into a directory that does not exist: not even the directory is created.
        let fresh = p.freshDirectory("never")
        let freshPlan = try SQLiteSecretStore.restore(report.path, into: fresh, keyRing: KeyRing(directory: fresh, variables: [:]), dryRun: true)
        #expect(!freshPlan.replacesExisting && freshPlan.previousDatabase == nil)
        #expect(!FileManager.default.fileExists(atPath: fresh.path))
    }

    @Test func aCorruptedSnapshotIsRefusedAndNothingIsReplaced() throws {
        let p = try Populated()
        let report = try p.backup()
        // Overwrite the middle page's first 64 bytes (its b-tree page header and cell pointers).
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: report.path)))
        let pageSize = 4096
        #expect(bytes.count >= 3 * pageSize)
        let middle = (bytes.count / pageSize / 2) * pageSize
        for i in middle..<(middle + 64) { bytes[i] ^= 0xFF }
        let corrupted = p.path("corrupted.db")
        try Data(bytes).write(to: URL(fileURLWithPath: corrupted))

        try p.f.createSecret("after/backup", value: .string("later"), in: p.f.dev)
        let database = p.f.directory.databasePath
        let before = (Self.sha256(database), Self.listing(p.f.directory.path))
        let error = try #require(throws: SejfError.self) {
            try SQLiteSecretStore.restore(corrupted, into: p.f.directory, keyRing: KeyRing(directory: p.f.directory, variables: [:]))
        }
        #expect(error.code == .invalidRequest)
        #expect(error.message.contains("damaged"), "\(error.message)")
        #expect((Self.sha256(database), Self.listing(p.f.directory.path)) == before)
        #expect(try p.f.reopen().read { try $0.secret(.name("after/backup"), in: p.f.dev) } != nil)

        // A file that is not a database at all.
        let garbage = p.path("garbage.db")
        try Data(randomBytes(count: 8192)).write(to: URL(fileURLWithPath: garbage))
        #expect(throws: SejfError.self) {
            try SQLiteSecretStore.verifySnapshot(at: garbage, keyRing: KeyRing(directory: p.f.directory, variables: [:]))
        }
    }

    @Test func aWrongEnvironmentKeyIsRefusedNamingTheEnvironment() throws {
        let p = try Populated()
        let report = try p.backup()
        // A key directory like the real one, except that prod.key is a different key.
        let keys = p.path("other-keys")
        try FileManager.default.copyItem(atPath: p.f.directory.keyDirectory, toPath: keys)
        let prodKey = (keys as NSString).appendingPathComponent("prod.key")
        try FileManager.default.removeItem(atPath: prodKey)
        try Data((SecureBytes.random(count: 32).base64() + "\n").utf8).write(to: URL(fileURLWithPath: prodKey))
        let target = DataDirectory(path: p.path("restored"), keyDirectory: keys)

        let error = try #require(throws: SejfError.self) {
            try SQLiteSecretStore.restore(report.path, into: target, keyRing: KeyRing(directory: target, variables: [:]))
        }
        #expect(error.code == .decryptionFailure)
        #expect(error.message.contains("environment 'prod'"), "\(error.message)")
        #expect(!FileManager.default.fileExists(atPath: target.path))

        // The same with the key given as a variable.
        let wrong = SecureBytes.random(count: 32).base64()
        let variableError = try #require(throws: SejfError.self) {
            try SQLiteSecretStore.verifySnapshot(at: report.path,
                                                 keyRing: KeyRing(directory: p.f.directory, variables: ["SEJF_KEY_DEV": wrong]))
        }
        #expect(variableError.message.contains("environment 'dev'") && variableError.message.contains("SEJF_KEY_DEV"))
        #expect(!variableError.message.contains(wrong))
    }

    @Test func aTamperedAuditChainIsRefused() throws {
        let p = try Populated()
        let report = try p.backup()
        let tampered = p.path("tampered.db")
        try FileManager.default.copyItem(atPath: report.path, toPath: tampered)
        let queue = try DatabaseQueue(path: tampered)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER audit_events_no_update")
            try db.execute(sql: "UPDATE audit_events SET principal = 'mallory' WHERE sequence = 2")
        }
        try queue.close()

        let database = p.f.directory.databasePath
        let before = Self.sha256(database)
        let error = try #require(throws: SejfError.self) {
            try SQLiteSecretStore.restore(tampered, into: p.f.directory, keyRing: KeyRing(directory: p.f.directory, variables: [:]))
        }
        #expect(error.message.contains("audit trail") && error.message.contains("event 2"), "\(error.message)")
        #expect(Self.sha256(database) == before)

        // A different audit key: refused too, naming the audit key.
        let keys = p.path("other-keys")
        try FileManager.default.copyItem(atPath: p.f.directory.keyDirectory, toPath: keys)
        let other = DataDirectory(path: p.path("other"), keyDirectory: keys)
        let error2 = try #require(throws: SejfError.self) {
            try SQLiteSecretStore.verifySnapshot(at: report.path,
                                                 keyRing: KeyRing(directory: other, variables: ["SEJF_AUDIT_KEY": SecureBytes.random(count: 32).base64()]))
        }
        #expect(error2.message.contains("audit key"), "\(error2.message)")
    }

    @Test func anExistingOutputFileIsNeverOverwritten() throws {
        let p = try Populated()
        let out = p.path("taken.db")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: out))
        let error = try #require(throws: SejfError.self) { try p.backup("taken.db") }
        #expect(error.message.contains("already exists"))
        #expect(FileManager.default.contents(atPath: out) == Data("keep me".utf8))
        // Nothing recorded either.
        #expect(try p.f.store.read { try $0.auditHead().sequence } == 5)
    }

    @Test func restoreIsRefusedWhileTheDirectoryIsLocked() throws {
        let p = try Populated()
        let report = try p.backup()
        let lock = try p.f.directory.lockExclusively()
        #expect(lock.isHeld)
        // A second lock (another open file, as another process would have) is refused.
        let second = try #require(throws: SejfError.self) { try p.f.directory.lockExclusively() }
        #expect(second.code == .invalidRequest && second.message.contains("in use by another process"))
        #expect(second.message.contains("process \(getpid())"))

        let database = p.f.directory.databasePath
        let before = (Self.sha256(database), Self.listing(p.f.directory.path))
        let error = try #require(throws: SejfError.self) {
            try SQLiteSecretStore.restore(report.path, into: p.f.directory, keyRing: KeyRing(directory: p.f.directory, variables: [:]))
        }
        #expect(error.message.contains("in use by another process"), "\(error.message)")
        #expect((Self.sha256(database), Self.listing(p.f.directory.path)) == before)

        lock.release()
        #expect(!lock.isHeld)
        let restored = try SQLiteSecretStore.restore(report.path, into: p.f.directory, keyRing: KeyRing(directory: p.f.directory, variables: [:]))
        #expect(restored.restored)
        // Released after the restore: it can be taken again.
        _ = try p.f.directory.lockExclusively()
    }

    @Test func aSnapshotFromANewerSejfOrALiveDatabaseIsRefused() throws {
        let p = try Populated()
        let report = try p.backup(audit: nil)
        #expect(report.auditSequence == nil)
        let newer = p.path("newer.db")
        try FileManager.default.copyItem(atPath: report.path, toPath: newer)
        let queue = try DatabaseQueue(path: newer)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')") }
        try queue.close()
        let error = try #require(throws: SejfError.self) {
            try SQLiteSecretStore.verifySnapshot(at: newer, keyRing: KeyRing(directory: p.f.directory, variables: [:]))
        }
        #expect(error.message.contains("newer version of Sejf") && error.message.contains("v99"))

        // The database restored into cannot be its own snapshot.
        let itself = try #require(throws: SejfError.self) {
            try SQLiteSecretStore.restore(p.f.directory.databasePath, into: p.f.directory,
                                          keyRing: KeyRing(directory: p.f.directory, variables: [:]))
        }
        #expect(itself.message.contains("itself"))
        // A live database with a write-ahead log beside it is not a snapshot.
        try p.f.createSecret("in/the/wal", value: .string("x"))
        if SnapshotFiles.size(p.f.directory.databasePath + "-wal") ?? 0 > 0 {
            let live = try #require(throws: SejfError.self) {
                try SQLiteSecretStore.restore(p.f.directory.databasePath, into: p.freshDirectory(),
                                              keyRing: KeyRing(directory: p.f.directory, variables: [:]))
            }
            #expect(live.message.contains("write-ahead log"))
            #expect(!FileManager.default.fileExists(atPath: p.freshDirectory().path))
        }
    }
}
