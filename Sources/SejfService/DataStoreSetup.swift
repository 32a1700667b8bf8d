import Foundation
import SejfCore
import SejfCrypto
import SejfStore

/// How hard Argon2id works when a key comes from a passphrase (libsodium's profiles).
public enum KDFProfile: String, Sendable, CaseIterable {
    /// 2 passes, 64 MiB: for tests and small machines.
    case interactive
    /// 3 passes, 256 MiB: the default.
    case moderate

    var parameters: Argon2idParameters {
        switch self {
        case .interactive: .interactive
        case .moderate: .moderate
        }
    }
}

/// What `sejf init` did, for the CLI to report.
public struct InitReport: Sendable {
    public var dataDirectory: String
    public var environments: [(name: String, keySource: String, keyId: String)]
    public var account: String
    public var adminPrincipal: String
    /// The admin's first access key (its secret is shown once).
    public var adminAccessKey: NewAccessKey
}

/// Creating and opening a data directory.
public enum DataStoreSetup {
    /// Creates a data directory: the database, one key per environment, the system key, the
    /// account id, and the `admin` principal with its first access key. On any failure it removes what it created, so a retry starts clean.
    /// - Throws: `InvalidRequestException` if the directory is already initialised.
    public static func initialise(_ directory: DataDirectory, environments: [EnvironmentDefinition], kdf: KDFProfile = .moderate,
                                  variables: [String: String] = ProcessInfo.processInfo.environment,
                                  now: Double = Date().timeIntervalSince1970) throws -> InitReport {
        guard !directory.isInitialised else {
            throw SejfError(.invalidRequest, "\(directory.path) is already initialised (\(directory.databasePath) exists).")
        }
        guard !environments.isEmpty else { throw SejfError(.invalidParameter, "No environments to create.") }
        guard Set(environments.map(\.name)).count == environments.count else {
            throw SejfError(.invalidParameter, "An environment is listed twice.")
        }
        for env in environments where FileManager.default.fileExists(atPath: directory.keyFilePath(for: env.name)) {
            throw SejfError(.invalidRequest, "The key file \(directory.keyFilePath(for: env.name)) already exists; refusing to replace a key.")
        }
        var created: [String] = []
        for path in [directory.systemKeyFilePath, directory.auditKeyFilePath] where !FileManager.default.fileExists(atPath: path) {
            created.append(path)
        }
        do {
            try directory.create()
            let keyRing = KeyRing(directory: directory, variables: variables)
            var keys: [KeyRecord] = []
            for env in environments {
                let (_, record) = try keyRing.createKey(for: env.name, kdf: kdf.parameters, now: now)
                if record.source == .file { created.append(directory.keyFilePath(for: env.name)) }
                keys.append(record)
            }
            created.append(directory.databasePath)
            let store = try SQLiteSecretStore(path: directory.databasePath, keyRing: keyRing)
            let account = String((0..<12).map { _ in "0123456789".randomElement()! })
            try store.write { writer in
                try writer.setAccountId(account)
                for (env, key) in zip(environments, keys) {
                    try writer.insertEnvironment(EnvironmentRecord(name: env.name, description: env.description,
                                                                   namespace: env.namespace, createdAt: now), key: key)
                }
                try writer.insertPrincipal(PrincipalRecord(name: Principal.localOperator.name,
                                                          description: "Administrator; the local operator of the embedded CLI", createdAt: now))
                try writer.saveBinding(AccessBinding(name: "admin", role: "admin", principals: [Principal.localOperator.name],
                                                     environments: ["*"]), at: now)
            }
            let adminKey = try SecretsService(store: store, clock: { now }).createAccessKey(for: Principal.localOperator.name)
            return InitReport(dataDirectory: directory.path,
                              environments: zip(environments, keys).map { ($0.name.rawValue, $1.source.rawValue, $1.id) },
                              account: account, adminPrincipal: Principal.localOperator.name, adminAccessKey: adminKey)
        } catch {
            for path in created { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
            throw error
        }
    }

    /// Opens an initialised data directory.
    /// - Throws: `InvalidRequestException` (with the fix) when `sejf init` has not run there.
    public static func open(_ directory: DataDirectory, variables: [String: String] = ProcessInfo.processInfo.environment,
                            clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                            rotators: RotatorCatalog = RotatorCatalog()) throws -> SecretsService {
        guard directory.isInitialised else {
            throw SejfError(.invalidRequest, "No Sejf data in \(directory.path): run `sejf init` first (or set --data / SEJF_DATA).")
        }
        let store = try SQLiteSecretStore(path: directory.databasePath, keyRing: KeyRing(directory: directory, variables: variables))
        return SecretsService(store: store, clock: clock, rotators: rotators)
    }
}
