import Foundation
import SejfCore

/// The on-disk layout of a Sejf data directory:
///
///     <data>/sejf.db        the SQLite database (WAL mode: also sejf.db-wal, sejf.db-shm)
///     <data>/keys/<env>.key one key-encryption key per environment, base64, mode 0600
///     <data>/keys/_system.key the system key, which seals access-key secrets
///     <data>/keys/_audit.key  the audit key, which keys the audit trail's hash chain
///
/// The key directory can live elsewhere (`--key-dir`, `SEJF_KEY_DIR`) so a backup of the data
/// directory need not contain the keys.
public struct DataDirectory: Sendable, Equatable {
    public let path: String
    public let keyDirectory: String

    public init(path: String, keyDirectory: String? = nil) {
        self.path = path
        self.keyDirectory = keyDirectory ?? (path as NSString).appendingPathComponent("keys")
    }

    public var databasePath: String { (path as NSString).appendingPathComponent("sejf.db") }

    public func keyFilePath(for environment: EnvironmentName) -> String {
        (keyDirectory as NSString).appendingPathComponent(Self.keyFileName(for: environment))
    }

    /// The system key's file: it seals access-key secrets.
    public var systemKeyFilePath: String { (keyDirectory as NSString).appendingPathComponent(Self.systemKeyFileName) }

    static func keyFileName(for environment: EnvironmentName) -> String { "\(environment).key" }
    /// The audit key's file: it keys the audit trail's hash chain.
    public var auditKeyFilePath: String { (keyDirectory as NSString).appendingPathComponent(Self.auditKeyFileName) }

    /// `_` cannot start an environment name, so these never clash with one.
    static let systemKeyFileName = "_system.key"
    static let auditKeyFileName = "_audit.key"

    /// Whether `sejf init` has run here.
    public var isInitialised: Bool { FileManager.default.fileExists(atPath: databasePath) }

    /// The default location: `$SEJF_DATA`, else `$XDG_DATA_HOME/sejf`, else `~/.local/share/sejf`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["SEJF_DATA"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return (xdg as NSString).appendingPathComponent("sejf") }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".local/share/sejf")
    }

    /// Creates the directory (and the key directory) with mode 0700 if missing.
    public func create() throws {
        for dir in [path, keyDirectory] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
    }
}
