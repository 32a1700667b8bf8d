import Foundation
import GRDB
import Testing
import SejfCore
import SejfCrypto
@testable import SejfStore

/// What only the SQLite implementation promises: durability settings, schema invariants,
/// encryption at rest, and refusing wrong or tampered data.
struct SQLiteStoreTests {
    @Test func writerIsFullySynchronousInWALMode() throws {
        let f = try StoreFixture()
        #expect(try f.store.writerSynchronousMode() == 2)
        let journal = try DatabaseQueue(path: f.directory.databasePath).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        #expect(try f.store.integrityCheck() == "ok")
    }

    @Test func filesAreOwnerOnly() throws {
        let f = try StoreFixture()
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue & 0o777
        }
        #expect(try mode(f.directory.databasePath) == 0o600)
        #expect(try mode(f.directory.keyFilePath(for: f.dev)) == 0o600)
        #expect(try mode(f.directory.keyDirectory) == 0o700)
        #expect(try mode(f.root) == 0o700)
    }

    @Test func noPlaintextInTheDatabaseOrItsWAL() throws {
        let f = try StoreFixture()
        let markers = ["PLAINTEXT-MARKER-\(UUID().uuidString)", "zażółć-\(UUID().uuidString)"]
        try f.createSecret("a", value: .string(markers[0]))
        try f.createSecret("b", value: .string(markers[1]), in: f.prod)
        try f.createSecret("c", value: .binary(Array(markers[0].utf8).reversed()))
        // Read them back, so the WAL and the pages are certainly written and the values work.
        let secret = try #require(try f.store.read { try $0.secret(.name("a"), in: f.dev) })
        #expect(try f.store.read { try $0.value(of: secret, versionId: "v-1") } == .string(markers[0]))
        var scanned = 0
        for suffix in ["", "-wal", "-shm"] {
            guard let data = FileManager.default.contents(atPath: f.directory.databasePath + suffix) else { continue }
            scanned += data.count
            for marker in markers {
                #expect(data.range(of: Data(marker.utf8)) == nil, "\(marker) found in sejf.db\(suffix)")
                #expect(data.range(of: Data(marker.utf8.reversed())) == nil)
            }
            let keyText = try String(contentsOfFile: f.directory.keyFilePath(for: f.dev), encoding: .utf8)
            #expect(data.range(of: Data(keyText.trimmingCharacters(in: .whitespacesAndNewlines).utf8)) == nil)
        }
        #expect(scanned > 0)
    }

    @Test func oneCurrentLabelPerSecretIsASchemaInvariant() throws {
        let f = try StoreFixture()
        let secret = try f.createSecret("s", value: .string("v"))
        try f.store.write { w in try w.insertVersion(of: secret, id: "v-2", createdAt: 2, value: .string("w")) }
        #expect(throws: (any Error).self) {
            try f.raw("INSERT INTO labels (secret_id, label, version_id, position) VALUES (?, 'AWSCURRENT', 'v-2', 0)", [secret.rowId])
        }
    }

    @Test func versionsAreImmutable() throws {
        let f = try StoreFixture()
        let secret = try f.createSecret("s", value: .string("v"))
        #expect(throws: (any Error).self) {
            try f.raw("UPDATE versions SET ciphertext = x'00' WHERE secret_id = ?", [secret.rowId])
        }
        #expect(throws: (any Error).self) {
            try f.raw("UPDATE versions SET version_id = 'other' WHERE secret_id = ?", [secret.rowId])
        }
    }

    @Test func labelledVersionCannotBeDeleted() throws {
        let f = try StoreFixture()
        let secret = try f.createSecret("s", value: .string("v"))
        let queue = try DatabaseQueue(path: f.directory.databasePath)
        #expect(throws: (any Error).self) {
            try queue.write { db in try db.execute(sql: "DELETE FROM versions WHERE secret_id = ?", arguments: [secret.rowId]) }
        }
    }

    @Test func flippedCiphertextByteIsADecryptionFailure() throws {
        let f = try StoreFixture()
        let secret = try f.createSecret("s", value: .string("sensitive"))
        try f.tamper("ciphertext", of: secret) { $0[30] ^= 0x01 }
        let error = #expect(throws: SejfError.self) { try f.store.read { try $0.value(of: secret, versionId: "v-1") } }
        #expect(error?.code == .decryptionFailure)
        #expect(error?.message.contains("sensitive") == false)
    }

    @Test func flippedWrappedKeyByteIsADecryptionFailure() throws {
        let f = try StoreFixture()
        let secret = try f.createSecret("s", value: .string("sensitive"))
        try f.tamper("wrapped_key", of: secret) { $0[40] ^= 0x80 }
        #expect(throws: SejfError.self) { try f.store.read { try $0.value(of: secret, versionId: "v-1") } }
    }

    @Test func ciphertextMovedToAnotherRowDoesNotOpen() throws {
        let f = try StoreFixture()
        let a = try f.createSecret("a", value: .string("value of a"))
        let b = try f.createSecret("b", value: .string("value of b"))
        try f.raw("DROP TRIGGER versions_are_immutable")
        // Move a's ciphertext and wrapped key onto b's row: both are bound to a's ARN.
        try f.raw("""
            UPDATE versions SET ciphertext = (SELECT ciphertext FROM versions WHERE secret_id = ?1),
                                wrapped_key = (SELECT wrapped_key FROM versions WHERE secret_id = ?1)
            WHERE secret_id = ?2
            """, [a.rowId, b.rowId])
        let error = #expect(throws: SejfError.self) { try f.store.read { try $0.value(of: b, versionId: "v-1") } }
        #expect(error?.code == .decryptionFailure)
        #expect(try f.store.read { try $0.value(of: a, versionId: "v-1") } == .string("value of a"))
    }

    @Test func versionIdSwapWithinASecretDoesNotOpen() throws {
        let f = try StoreFixture()
        let s = try f.createSecret("s", value: .string("one"))
        try f.store.write { w in try w.insertVersion(of: s, id: "v-2", createdAt: 2, value: .string("two")) }
        try f.raw("DROP TRIGGER versions_are_immutable")
        try f.raw("UPDATE versions SET version_id = 'v-x' WHERE version_id = 'v-2'")
        try f.raw("UPDATE versions SET version_id = 'v-2' WHERE version_id = 'v-1'")
        #expect(throws: SejfError.self) { try f.store.read { try $0.value(of: s, versionId: "v-2") } }
    }

    @Test func missingKeyFileIsAClearDecryptionFailure() throws {
        let f = try StoreFixture()
        let secret = try f.createSecret("s", value: .string("v"), in: f.prod)
        try FileManager.default.removeItem(atPath: f.directory.keyFilePath(for: f.prod))
        let error = #expect(throws: SejfError.self) { try f.reopen().read { try $0.value(of: secret, versionId: "v-1") } }
        #expect(error?.code == .decryptionFailure)
        #expect(error?.message.contains("SEJF_KEY_PROD") == true)
    }

    @Test func wrongKeyIsRefusedByItsId() throws {
        let f = try StoreFixture()
        let secret = try f.createSecret("s", value: .string("v"), in: f.prod)
        let other = SecureBytes.random(count: 32).base64()
        let error = #expect(throws: SejfError.self) {
            try f.reopen(variables: ["SEJF_KEY_PROD": other]).read { try $0.value(of: secret, versionId: "v-1") }
        }
        #expect(error?.code == .decryptionFailure)
        #expect(error?.message.contains("is not the key that encrypted it") == true)
        #expect(error?.message.contains(other) == false)
    }

    @Test func keyFromTheEnvironmentVariableWins() throws {
        let f = try StoreFixture()
        let secret = try f.createSecret("s", value: .string("v"), in: f.prod)
        let text = try String(contentsOfFile: f.directory.keyFilePath(for: f.prod), encoding: .utf8)
        try FileManager.default.removeItem(atPath: f.directory.keyFilePath(for: f.prod))
        let store = try f.reopen(variables: ["SEJF_KEY_PROD": text.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(try store.read { try $0.value(of: secret, versionId: "v-1") } == .string("v"))
        #expect(throws: SejfError.self) { try f.reopen(variables: ["SEJF_KEY_PROD": "dG9vIHNob3J0"]).read { try $0.value(of: secret, versionId: "v-1") } }
    }

    @Test func passphraseKeysDeriveWithTheStoredSalt() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sejf-pp-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = DataDirectory(path: root)
        try directory.create()
        let env = try EnvironmentName("staging")
        let ring = KeyRing(directory: directory, variables: ["SEJF_PASSPHRASE_STAGING": "correct horse battery staple"])
        let (_, record) = try ring.createKey(for: env, kdf: .interactive, now: 0)
        #expect(record.source == .passphrase)
        #expect(record.salt?.count == 16)
        #expect(!FileManager.default.fileExists(atPath: directory.keyFilePath(for: env)))
        let again = KeyRing(directory: directory, variables: ["SEJF_PASSPHRASE_STAGING": "correct horse battery staple"])
        #expect(try again.key(for: record).id == record.id)
        let wrong = KeyRing(directory: directory, variables: ["SEJF_PASSPHRASE_STAGING": "incorrect horse"])
        #expect(throws: SejfError.self) { try wrong.key(for: record) }
        #expect(throws: SejfError.self) { try KeyRing(directory: directory, variables: [:]).key(for: record) }
    }

    @Test func createKeyNeverReplacesAKeyFile() throws {
        let f = try StoreFixture()
        let before = try String(contentsOfFile: f.directory.keyFilePath(for: f.dev), encoding: .utf8)
        #expect(throws: SejfError.self) {
            try KeyRing(directory: f.directory, variables: [:]).createKey(for: f.dev, kdf: .interactive, now: 0)
        }
        #expect(try String(contentsOfFile: f.directory.keyFilePath(for: f.dev), encoding: .utf8) == before)
    }

    @Test func malformedARNSuffixIsAClearErrorNotACrash() throws {
        let f = try StoreFixture()
        try f.createSecret("db/password", value: .string("x"))
        try f.raw("PRAGMA ignore_check_constraints = ON; UPDATE secrets SET arn_suffix = 'abc'")
        #expect(throws: SejfError.self) { try f.store.read { try $0.secrets(in: f.dev) } }
    }

    @Test func truncatedDatabaseIsAClearErrorNotACrash() throws {
        let f = try StoreFixture()
        for i in 0..<50 { try f.createSecret("s\(i)", value: .string(String(repeating: "x", count: 2000))) }
        let path = f.directory.databasePath
        // Fold the WAL into the main file, then cut the file in half.
        _ = try DatabaseQueue(path: path).writeWithoutTransaction { try $0.checkpoint(.truncate) }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber).intValue
        #expect(truncate(path, off_t(size / 2)) == 0)
        let error = #expect(throws: SejfError.self) {
            let store = try f.reopen()
            _ = try store.read { r in try r.secrets(in: f.dev).map { try r.value(of: $0, versionId: "v-1") } }
        }
        // Rows whose pages are gone fail as storage errors; rows whose blobs are cut fail to decrypt.
        #expect(error?.code == .internalServiceError || error?.code == .decryptionFailure)
        let check = Result { try f.reopen().integrityCheck() }
        #expect((try? check.get()) != "ok")
    }

    @Test func concurrentWritersFromSeparateConnectionsAllLand() throws {
        let f = try StoreFixture()
        let stores = try (0..<4).map { _ in try f.reopen() }
        DispatchQueue.concurrentPerform(iterations: 40) { i in
            _ = try? f.createSecret("c\(i)", value: .string("v\(i)"), on: stores[i % stores.count])
        }
        let names = try f.store.read { try $0.secrets(in: f.dev) }.map(\.name)
        #expect(names.count == 40)
        #expect(try f.store.integrityCheck() == "ok")
    }

    @Test func valueReadFilterNamesTheValueReadActions() {
        for action in AuditAction.valueReads {
            #expect(Schema.valueReadFilter.contains("'\(action)'"))
        }
        #expect(Schema.valueReadFilter.components(separatedBy: "'secretsmanager:").count - 1 == AuditAction.valueReads.count)
    }
}
