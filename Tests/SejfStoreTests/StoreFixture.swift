import Foundation
import GRDB
import SejfCore
import SejfCrypto
@testable import SejfStore

/// A temporary data directory with an initialised SQLite store: environments dev and prod, each
/// with a key file.
final class StoreFixture: @unchecked Sendable {
    let root: String
    let directory: DataDirectory
    let store: SQLiteSecretStore
    let dev = try! EnvironmentName("dev")
    let prod = try! EnvironmentName("prod")
    let account = "123456789012"

    init(variables: [String: String] = [:]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sejf-store-\(UUID().uuidString)").path
        directory = DataDirectory(path: root)
        try directory.create()
        let ring = KeyRing(directory: directory, variables: variables)
        let keys = try [dev, prod].map { try ring.createKey(for: $0, kdf: .interactive, now: 0).1 }
        store = try SQLiteSecretStore(path: directory.databasePath, keyRing: ring)
        try store.write { w in
            try w.setAccountId(account)
            for key in keys {
                try w.insertEnvironment(EnvironmentRecord(name: key.environment, description: "", namespace: nil, createdAt: 0), key: key)
            }
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// A fresh store object on the same files, with its own key ring.
    func reopen(variables: [String: String] = [:]) throws -> SQLiteSecretStore {
        try SQLiteSecretStore(path: directory.databasePath, keyRing: KeyRing(directory: directory, variables: variables))
    }

    func arn(_ name: String, in env: EnvironmentName? = nil, suffix: String = "AbCdEf") -> SecretARN {
        SecretARN(environment: env ?? dev, account: account, name: name, suffix: suffix)
    }

    /// Creates a secret with one AWSCURRENT version holding `value`.
    @discardableResult
    func createSecret(_ name: String, value: SecretValue, in env: EnvironmentName? = nil, versionId: String = "v-1",
                      on store: (any SecretStore)? = nil) throws -> SecretRecord {
        try (store ?? self.store).write { w in
            let secret = try w.insertSecret(NewSecret(arn: arn(name, in: env), description: nil, kmsKeyId: nil, tags: [], createdAt: 1))
            try w.insertVersion(of: secret, id: versionId, createdAt: 1, value: value)
            try w.saveVersions(StagingLabels(versions: [VersionSummary(id: versionId, createdAt: 1, stages: [StagingLabels.current])]), of: secret)
            return secret
        }
    }

    /// Raw SQL on the database file, bypassing the store (for tampering).
    func raw(_ sql: String, _ arguments: StatementArguments = []) throws {
        let queue = try DatabaseQueue(path: directory.databasePath)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: sql, arguments: arguments)
        }
    }

    /// Rewrites one blob column of a secret's version row (dropping the immutability trigger).
    func tamper(_ column: String, of secret: SecretRecord, versionId: String = "v-1", _ change: (inout [UInt8]) -> Void) throws {
        let queue = try DatabaseQueue(path: directory.databasePath)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS versions_are_immutable")
            var bytes = [UInt8](try Data.fetchOne(db, sql: "SELECT \(column) FROM versions WHERE secret_id = ? AND version_id = ?",
                                                  arguments: [secret.rowId, versionId])!)
            change(&bytes)
            try db.execute(sql: "UPDATE versions SET \(column) = ? WHERE secret_id = ? AND version_id = ?",
                           arguments: [Data(bytes), secret.rowId, versionId])
        }
    }
}
