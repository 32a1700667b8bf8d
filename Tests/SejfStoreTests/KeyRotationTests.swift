import Foundation
import GRDB
import Testing
import SejfCore
import SejfCrypto
@testable import SejfStore

/// Rotation of an environment's key-encryption key, on a real SQLite file with real libsodium:
/// re-wrap in batches, resume, retire, missing and wrong keys, and the schema's guards.
struct KeyRotationTests {
    let admin = KeyAdministrator(principal: "admin", sourceAddress: "local", userAgent: "sejf-cli")
    /// No pause between batches: nothing else writes in these tests.
    func options(batch: Int, maxBatches: Int? = nil, resumeOnly: Bool = false) -> KeyRotationOptions {
        KeyRotationOptions(batchSize: batch, resumeOnly: resumeOnly, maxBatches: maxBatches, pauseRatio: 0)
    }

    // MARK: - Re-wrap

    @Test func rotationRewrapsEveryVersionInBatchesAndLeavesCiphertextsAlone() throws {
        let f = try StoreFixture()
        let secrets = try populate(f, secrets: 250, versionsEach: 4)          // 1,000 versions in dev
        let prodSecret = try f.createSecret("prod/only", value: .string("prod value"), in: f.prod)
        let oldId = try activeKey(f, f.dev).id
        let before = try versionRows(f)
        #expect(before.values.filter { $0.environment == "dev" }.count == 1000)

        var steps: [KeyRotationProgress] = []
        let result = try f.store.rotateKey(of: f.dev, options: options(batch: 100), by: admin, progress: { steps.append($0) })

        #expect(result.created)
        #expect(result.keyId != oldId)
        #expect(result.previousKeyIds == [oldId])
        #expect(result.rewrapped == 1000)
        #expect(result.batches == 10)
        #expect(result.remaining == 0)
        #expect(steps.map(\.rewrapped) == Array(stride(from: 100, through: 1000, by: 100)))
        #expect(steps.allSatisfy { $0.total == 1000 && $0.keyId == result.keyId })

        let after = try versionRows(f)
        #expect(after.count == before.count)
        for (id, old) in before {
            let new = try #require(after[id])
            #expect(new.ciphertext == old.ciphertext, "ciphertext of \(id) changed")
            if old.environment == "dev" {
                #expect(new.keyId == result.keyId)
                #expect(new.wrappedKey != old.wrappedKey)
                #expect(Envelope.keyId(ofWrappedKey: [UInt8](new.wrappedKey)) == result.keyId)
            } else {
                #expect(new == old, "a prod version changed")
            }
        }

        // Every version opens, through a store whose key ring has never seen either key.
        let fresh = try f.reopen()
        try fresh.read { r throws in
            for (secret, values) in secrets {
                for (versionId, value) in values { #expect(try r.value(of: secret, versionId: versionId) == .string(value)) }
            }
            #expect(try r.value(of: prodSecret, versionId: "v-1") == .string("prod value"))
        }

        // New versions are sealed with the new key; prod still has its one key.
        let (secret, _) = try #require(secrets.first)
        try fresh.write { w in try w.insertVersion(of: secret, id: "after-rotation", createdAt: 9, value: .string("new")) }
        #expect(try versionRows(f)[VersionKey(secretId: secret.rowId, versionId: "after-rotation")]?.keyId == result.keyId)
        #expect(try fresh.read { try $0.value(of: secret, versionId: "after-rotation") } == .string("new"))
        #expect(try f.store.keyUsage(of: f.prod).map(\.record.id) == [try activeKey(f, f.prod).id])

        // The new key lives in its own file, owner-only; the old one is still there until retired.
        let newFile = f.directory.keyFilePath(for: f.dev, keyId: result.keyId)
        #expect(FileManager.default.fileExists(atPath: newFile))
        #expect(FileManager.default.fileExists(atPath: f.directory.keyFilePath(for: f.dev)))
        #expect((try FileManager.default.attributesOfItem(atPath: newFile)[.posixPermissions] as! NSNumber).intValue & 0o777 == 0o600)

        // Audited: who, where, which key.
        let events = try f.store.read { try $0.auditEvents(matching: AuditFilter(action: AuditAction.rotateKey), limit: 10) }
        #expect(events.count == 1)
        let event = try #require(events.first?.event)
        #expect(event.environment == "dev" && event.principal == "admin" && event.outcome == .allowed)
        #expect(event.versionId == result.keyId && event.secretArn == nil)
        #expect(AuditAction.sejfActions.contains(AuditAction.rotateKey) && AuditAction.sejfActions.contains(AuditAction.retireKey))
    }

    @Test func anInterruptedRotationResumesWithoutANewKey() throws {
        let f = try StoreFixture()
        let secrets = try populate(f, secrets: 200, versionsEach: 5)
        let oldId = try activeKey(f, f.dev).id
        // A store opened (and its old key loaded) before the rotation, as a running server's.
        let server = try f.reopen()
        let (first, firstValues) = try #require(secrets.first)
        #expect(try server.read { try $0.value(of: first, versionId: firstValues[0].0) } == .string(firstValues[0].1))

        let partial = try f.store.rotateKey(of: f.dev, options: options(batch: 100, maxBatches: 3), by: admin)
        #expect(partial.created && partial.rewrapped == 300 && partial.batches == 3 && partial.remaining == 700)
        let usage = try f.store.keyUsage(of: f.dev)
        #expect(usage.map(\.versions) == [300, 700])
        #expect(usage.map(\.active) == [true, false])

        // Half-way, the server reads versions under either key (the new one loaded on demand by
        // id) and seals new versions with the new key.
        try server.read { r throws in
            for (secret, values) in secrets {
                for (versionId, value) in values { #expect(try r.value(of: secret, versionId: versionId) == .string(value)) }
            }
        }
        try server.write { w in try w.insertVersion(of: first, id: "during", createdAt: 9, value: .string("during")) }
        #expect(try versionRows(f)[VersionKey(secretId: first.rowId, versionId: "during")]?.keyId == partial.keyId)

        // Running the rotation again finishes the re-wrap to the same key.
        let resumed = try f.reopen().rotateKey(of: f.dev, options: options(batch: 100), by: admin)
        #expect(!resumed.created)
        #expect(resumed.keyId == partial.keyId)
        #expect(resumed.previousKeyIds == [oldId])
        #expect(resumed.rewrapped == 700 && resumed.remaining == 0)
        #expect(try f.store.keyUsage(of: f.dev).map(\.versions) == [1001, 0])
        #expect(try versionRows(f).values.allSatisfy { $0.environment != "dev" || $0.keyId == partial.keyId })

        // --resume with nothing left does nothing; only one rotation event was recorded.
        let nothing = try f.store.rotateKey(of: f.dev, options: options(batch: 100, resumeOnly: true), by: admin)
        #expect(!nothing.created && nothing.rewrapped == 0 && nothing.keyId == partial.keyId)
        #expect(try f.store.keyUsage(of: f.dev).count == 2)
        #expect(try f.store.read { try $0.auditEvents(matching: AuditFilter(action: AuditAction.rotateKey), limit: 10) }.count == 1)
        try f.reopen().read { r throws in
            for (secret, values) in secrets {
                for (versionId, value) in values { #expect(try r.value(of: secret, versionId: versionId) == .string(value)) }
            }
        }
    }

    @Test func retireIsRefusedWhileTheKeyIsUsedOrActiveAndAllowedAfter() throws {
        let f = try StoreFixture()
        let secrets = try populate(f, secrets: 10, versionsEach: 3)
        let oldId = try activeKey(f, f.dev).id
        let oldFile = f.directory.keyFilePath(for: f.dev)

        let partial = try f.store.rotateKey(of: f.dev, options: options(batch: 10, maxBatches: 1), by: admin)
        let inUse = #expect(throws: SejfError.self) { try f.store.retireKey(oldId, of: f.dev, by: admin) }
        #expect(inUse?.code == .invalidRequest)
        #expect(inUse?.message.contains("20 versions") == true)
        let active = #expect(throws: SejfError.self) { try f.store.retireKey(partial.keyId, of: f.dev, by: admin) }
        #expect(active?.code == .invalidRequest)
        #expect(active?.message.contains("active key") == true)
        let unknown = #expect(throws: SejfError.self) { try f.store.retireKey(try activeKey(f, f.prod).id, of: f.dev, by: admin) }
        #expect(unknown?.code == .resourceNotFound)
        #expect(FileManager.default.fileExists(atPath: oldFile))

        _ = try f.store.rotateKey(of: f.dev, options: options(batch: 10), by: admin)
        let retired = try f.store.retireKey(String(oldId.prefix(8)), of: f.dev, by: admin)
        #expect(retired.keyId == oldId)
        #expect(retired.deletedFiles == [oldFile])
        #expect(retired.warning == nil)
        #expect(!FileManager.default.fileExists(atPath: oldFile))
        #expect(FileManager.default.fileExists(atPath: f.directory.keyFilePath(for: f.dev, keyId: partial.keyId)))
        #expect(try f.store.keyUsage(of: f.dev).map(\.record.id) == [partial.keyId])

        // Still every value, from a fresh key ring that only has the new key file.
        try f.reopen().read { r throws in
            for (secret, values) in secrets {
                for (versionId, value) in values { #expect(try r.value(of: secret, versionId: versionId) == .string(value)) }
            }
        }
        let events = try f.store.read { try $0.auditEvents(matching: AuditFilter(action: AuditAction.retireKey), limit: 10) }
        #expect(events.map(\.event.outcome) == [.allowed, .error, .error, .error])
        #expect(events.first?.event.versionId == oldId)
        #expect(events.dropFirst().first?.event.errorCode == "ResourceNotFoundException")
    }

    // MARK: - Missing and wrong keys

    @Test func aWrongOrMissingOldKeyIsAClearErrorAndChangesNothing() throws {
        let f = try StoreFixture()
        _ = try populate(f, secrets: 30, versionsEach: 2)
        let oldId = try activeKey(f, f.dev).id
        let partial = try f.store.rotateKey(of: f.dev, options: options(batch: 20, maxBatches: 1), by: admin)
        let oldFile = f.directory.keyFilePath(for: f.dev)
        let original = try String(contentsOfFile: oldFile, encoding: .utf8)

        try Data((SecureBytes.random(count: 32).base64() + "\n").utf8).write(to: URL(fileURLWithPath: oldFile))
        let wrong = #expect(throws: SejfError.self) { try f.reopen().rotateKey(of: f.dev, options: options(batch: 20), by: admin) }
        #expect(wrong?.code == .decryptionFailure)
        #expect(wrong?.message.contains("environment 'dev'") == true)
        #expect(wrong?.message.contains(oldId) == true)
        #expect(try f.store.keyUsage(of: f.dev).map(\.versions) == [20, 40])

        try FileManager.default.removeItem(atPath: oldFile)
        let missing = #expect(throws: SejfError.self) { try f.reopen().rotateKey(of: f.dev, options: options(batch: 20), by: admin) }
        #expect(missing?.code == .decryptionFailure)
        #expect(missing?.message.contains(oldId) == true)
        #expect(missing?.message.contains(oldFile) == true)
        #expect(try f.store.keyUsage(of: f.dev).map(\.versions) == [20, 40])
        #expect(try f.store.keyUsage(of: f.dev).first?.record.id == partial.keyId)

        // Failures are audited; with the right key back, the rotation finishes.
        let failures = try f.store.read { try $0.auditEvents(matching: AuditFilter(action: AuditAction.rotateKey, outcome: .error), limit: 10) }
        #expect(failures.count == 2 && failures.allSatisfy { $0.event.errorCode == "DecryptionFailure" })
        try Data(original.utf8).write(to: URL(fileURLWithPath: oldFile))
        let done = try f.reopen().rotateKey(of: f.dev, options: options(batch: 20), by: admin)
        #expect(!done.created && done.rewrapped == 40 && done.remaining == 0)
    }

    @Test func aNewKeyFileWithAnotherKeyIsRefusedByItsId() throws {
        let f = try StoreFixture()
        let secret = try f.createSecret("s", value: .string("v"))
        let rotated = try f.store.rotateKey(of: f.dev, options: options(batch: 10), by: admin)
        let file = f.directory.keyFilePath(for: f.dev, keyId: rotated.keyId)
        try Data((SecureBytes.random(count: 32).base64() + "\n").utf8).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: SejfError.self) { try f.reopen().read { try $0.value(of: secret, versionId: "v-1") } }
        #expect(error?.code == .decryptionFailure)
        #expect(error?.message.contains(rotated.keyId) == true)
        #expect(error?.message.contains("environment 'dev'") == true)
    }

    // MARK: - Keys from variables

    @Test func variableKeysRotateFromTheNewVariableAndAreFoundByIdInTheOldOne() throws {
        let oldKey = SecureBytes.random(count: 32).base64()
        let newKey = SecureBytes.random(count: 32).base64()
        let f = try StoreFixture(variables: ["SEJF_KEY_DEV": oldKey])
        let variables = ["SEJF_KEY_DEV": oldKey]
        let store = try f.reopen(variables: variables)
        let secrets = try populate(f, secrets: 20, versionsEach: 2, on: store)
        #expect(try activeKey(f, f.dev).source == .variable)

        let refused = #expect(throws: SejfError.self) { try store.rotateKey(of: f.dev, options: options(batch: 10), by: admin) }
        #expect(refused?.code == .invalidRequest)
        #expect(refused?.message.contains("SEJF_NEW_KEY_DEV") == true)
        let same = #expect(throws: SejfError.self) {
            try f.reopen(variables: ["SEJF_KEY_DEV": oldKey, "SEJF_NEW_KEY_DEV": oldKey]).rotateKey(of: f.dev, options: options(batch: 10), by: admin)
        }
        #expect(same?.message.contains("already has") == true)
        #expect(try f.store.keyUsage(of: f.dev).count == 1)

        let partial = try f.reopen(variables: ["SEJF_KEY_DEV": oldKey, "SEJF_NEW_KEY_DEV": newKey])
            .rotateKey(of: f.dev, options: options(batch: 10, maxBatches: 2), by: admin)
        #expect(partial.created && partial.remaining == 20)
        #expect(!FileManager.default.fileExists(atPath: f.directory.keyFilePath(for: f.dev, keyId: partial.keyId)))

        // After the move (new value in SEJF_KEY_DEV, old one in SEJF_OLD_KEY_DEV), both are found by id.
        let moved = try f.reopen(variables: ["SEJF_KEY_DEV": newKey, "SEJF_OLD_KEY_DEV": oldKey])
        try moved.read { r throws in
            for (secret, values) in secrets {
                for (versionId, value) in values { #expect(try r.value(of: secret, versionId: versionId) == .string(value)) }
            }
        }
        // Without the old key, a version still under it names the key id and where to put it.
        let onlyNew = #expect(throws: SejfError.self) {
            try f.reopen(variables: ["SEJF_KEY_DEV": newKey]).read { r throws in
                for (secret, values) in secrets {
                    for (versionId, _) in values { _ = try r.value(of: secret, versionId: versionId) }
                }
            }
        }
        #expect(onlyNew?.code == .decryptionFailure)
        #expect(onlyNew?.message.contains("SEJF_OLD_KEY_DEV") == true)

        let done = try moved.rotateKey(of: f.dev, options: options(batch: 10), by: admin)
        #expect(!done.created && done.remaining == 0)
        let retired = try moved.retireKey(done.previousKeyIds[0], of: f.dev, by: admin)
        #expect(retired.source == .variable && retired.deletedFiles.isEmpty)
        try f.reopen(variables: ["SEJF_KEY_DEV": newKey]).read { r throws in
            for (secret, values) in secrets {
                for (versionId, value) in values { #expect(try r.value(of: secret, versionId: versionId) == .string(value)) }
            }
        }
    }

    @Test func passphraseKeysRotateWithANewSalt() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sejf-kr-pp-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = DataDirectory(path: root)
        try directory.create()
        let env = try EnvironmentName("staging")
        let old = ["SEJF_PASSPHRASE_STAGING": "correct horse battery staple"]
        let ring = KeyRing(directory: directory, variables: old)
        let (_, record) = try ring.createKey(for: env, kdf: .interactive, now: 0)

        let refused = #expect(throws: SejfError.self) {
            try KeyRing(directory: directory, variables: old.merging(["SEJF_NEW_PASSPHRASE_STAGING": "correct horse battery staple"]) { $1 })
                .createRotationKey(for: env, existing: [record], now: 1)
        }
        #expect(refused?.message.contains("already has") == true)
        let made = try KeyRing(directory: directory, variables: old.merging(["SEJF_NEW_PASSPHRASE_STAGING": "tr0ub4dor&3"]) { $1 })
            .createRotationKey(for: env, existing: [record], now: 1)
        #expect(made.record.source == .passphrase && made.file == nil)
        #expect(made.record.kdf == .interactive && made.record.salt != record.salt)
        let after = KeyRing(directory: directory, variables: ["SEJF_PASSPHRASE_STAGING": "tr0ub4dor&3",
                                                              "SEJF_OLD_PASSPHRASE_STAGING": "correct horse battery staple"])
        #expect(try after.locate(made.record).origin == "SEJF_PASSPHRASE_STAGING")
        #expect(try after.locate(record).origin == "SEJF_OLD_PASSPHRASE_STAGING")
    }

    // MARK: - Schema

    @Test func theSchemaLetsOnlyTheWrappedKeyChangeAndKeepsItConsistent() throws {
        let f = try StoreFixture()
        let secret = try f.createSecret("s", value: .string("v"))
        let prodKey = try activeKey(f, f.prod).id
        func update(_ sql: String, _ arguments: StatementArguments = []) throws {
            // Foreign keys on, triggers in place: as any writer of the file would.
            let queue = try DatabaseQueue(path: f.directory.databasePath)
            try queue.write { db in try db.execute(sql: sql, arguments: arguments) }
        }
        func refused(_ reason: String, _ change: () throws -> Void) {
            let error = #expect(throws: DatabaseError.self, performing: change)
            #expect(error?.message?.contains(reason) == true, "\(String(describing: error))")
        }
        refused("secret versions are immutable") {
            try update("UPDATE versions SET ciphertext = X'0102' WHERE secret_id = ?", [secret.rowId])
        }
        // key_id must name the key the data key is wrapped with …
        refused("must be the key its data key is wrapped with") {
            try update("UPDATE versions SET wrapped_key = ? WHERE secret_id = ?", [Data([1] + randomBytes(count: 88)), secret.rowId])
        }
        // … and belong to the secret's environment, even with a matching wrapped key.
        refused("a key of its own environment") {
            let idBytes = stride(from: 0, to: prodKey.count, by: 2).map { offset -> UInt8 in
                let start = prodKey.index(prodKey.startIndex, offsetBy: offset)
                return UInt8(prodKey[start..<prodKey.index(start, offsetBy: 2)], radix: 16)!
            }
            try update("UPDATE versions SET key_id = ?, wrapped_key = ? WHERE secret_id = ?",
                       [prodKey, Data([1] + idBytes + randomBytes(count: 72)), secret.rowId])
        }
        refused("active key of an environment cannot be deleted") { try update("DELETE FROM keys WHERE id = ?", [prodKey]) }
        #expect(try f.store.read { try $0.value(of: secret, versionId: "v-1") } == .string("v"))

        // A real re-wrap passes every guard.
        _ = try f.store.rotateKey(of: f.dev, options: options(batch: 10), by: admin)
        #expect(try f.reopen().read { try $0.value(of: secret, versionId: "v-1") } == .string("v"))
    }

    // MARK: - Helpers

    struct VersionKey: Hashable, CustomStringConvertible {
        var secretId: Int64
        var versionId: String
        var description: String { "\(secretId)/\(versionId)" }
    }

    struct VersionRow: Equatable {
        var environment: String
        var keyId: String
        var wrappedKey: Data
        var ciphertext: Data
    }

    /// Every version row as stored, read around the store.
    func versionRows(_ f: StoreFixture) throws -> [VersionKey: VersionRow] {
        try DatabaseQueue(path: f.directory.databasePath).read { db in
            var rows: [VersionKey: VersionRow] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT v.secret_id, v.version_id, s.environment, v.key_id, v.wrapped_key, v.ciphertext
                FROM versions v JOIN secrets s ON s.id = v.secret_id
                """) {
                rows[VersionKey(secretId: row["secret_id"], versionId: row["version_id"])] =
                    VersionRow(environment: row["environment"], keyId: row["key_id"], wrappedKey: row["wrapped_key"], ciphertext: row["ciphertext"])
            }
            return rows
        }
    }

    func activeKey(_ f: StoreFixture, _ env: EnvironmentName) throws -> KeyRecord {
        try #require(try f.store.keyUsage(of: env).first { $0.active }?.record)
    }

    /// `secrets` secrets in dev with `versionsEach` versions each; their (version id, value) pairs.
    func populate(_ f: StoreFixture, secrets: Int, versionsEach: Int,
                  on store: SQLiteSecretStore? = nil) throws -> [(SecretRecord, [(String, String)])] {
        try (store ?? f.store).write { w in
            try (0..<secrets).map { index in
                let secret = try w.insertSecret(NewSecret(arn: f.arn("app/\(index)", suffix: "Ab\(String(format: "%04d", index))"),
                                                          description: nil, kmsKeyId: nil, tags: [], createdAt: 1))
                let values = try (0..<versionsEach).map { version -> (String, String) in
                    let value = (String(index) + "-" + String(version), "value \(index).\(version) \(UUID().uuidString)")
                    try w.insertVersion(of: secret, id: value.0, createdAt: Double(version), value: .string(value.1))
                    return value
                }
                return (secret, values)
            }
        }
    }
}
