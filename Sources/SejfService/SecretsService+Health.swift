import Foundation
import SejfCore
import SejfStore

/// One check of `GET /readyz`: its name, and what is wrong (nil when it passes).
public struct ReadinessCheck: Sendable, Equatable, Codable {
    public var name: String
    public var problem: String?
}

extension SecretsService {
    /// What `GET /readyz` checks, each independently:
    /// - `database`: the database opens and answers a read;
    /// - `keys`: every environment's key-encryption key is at hand (loaded and matching its id);
    /// - `audit`: the database takes a write transaction, so audit events can be committed
    ///   (a read-only or full file system fails here, and reads would fail closed).
    public func readiness() -> [ReadinessCheck] {
        func check(_ name: String, _ body: () throws -> Void) -> ReadinessCheck {
            do {
                try body()
                return ReadinessCheck(name: name, problem: nil)
            } catch let error as SejfError {
                return ReadinessCheck(name: name, problem: "\(error.code.rawValue): \(error.message)")
            } catch {
                return ReadinessCheck(name: name, problem: "\(error)")
            }
        }
        var environments: [EnvironmentName] = []
        let database = check("database") { environments = try store.read { try $0.environments().map(\.name) } }
        let keys = check("keys") {
            try store.read { reader in
                for environment in environments { _ = try reader.checksumKey(for: environment) }
            }
        }
        let audit = check("audit") { try store.write { _ in } }
        return [database, keys, audit]
    }

    /// The number of secrets (scheduled deletions included, replicas too) per environment, for
    /// the `sejf_secrets` gauge.
    public func secretCounts() throws -> [String: Int] {
        try store.read { reader in
            Dictionary(uniqueKeysWithValues: try reader.environments().map { ($0.name.rawValue, try reader.secrets(in: $0.name).count) })
        }
    }
}
