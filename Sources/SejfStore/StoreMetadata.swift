import Foundation
import GRDB
import Synchronization
import SejfCore

/// What nearly every request reads and nearly nothing changes — the `meta` values (account id,
/// installation key ids), the environments and their key records, roles and bindings, and which
/// access keys are active — decoded once and kept until a write changes one of those tables.
///
/// Triggers (migration v7) give `metadata_generation.value` a fresh random number whenever one of
/// those tables changes, from any process or connection. A session compares it with the cached
/// snapshot's, one prepared single-row read, so a role changed or an access key deactivated by the
/// CLI counts from the next request on. A random number rather than a counter: a transaction that
/// changed metadata and rolled back cannot leave a snapshot cached under a number a later commit
/// reuses.
struct StoreMetadata: Sendable {
    let generation: Int64
    /// `meta`: `account_id` and the installation key ids.
    let meta: [String: String]
    /// By name.
    let environments: [EnvironmentRecord]
    /// Per environment, active key first, then newest first.
    let keys: [EnvironmentName: [KeyRecord]]
    let accessControl: AccessControl
    /// Active access key id → principal.
    let activeAccessKeys: [String: String]
}

/// The process's current ``StoreMetadata``, shared by every connection of one store.
final class MetadataCache: Sendable {
    private let snapshot = Mutex<StoreMetadata?>(nil)

    /// The snapshot loaded last, whatever has changed since (nil before the first load).
    var recent: StoreMetadata? { snapshot.withLock { $0 } }

    /// The snapshot valid for `db`'s view of the database, loaded anew when the generation moved.
    func current(_ db: Database) throws -> StoreMetadata {
        let generation = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM metadata_generation")) ?? 0
        if let cached = snapshot.withLock({ $0 }), cached.generation == generation { return cached }
        let loaded = try Self.load(db, generation: generation)
        snapshot.withLock { $0 = loaded }
        return loaded
    }

    private static func load(_ db: Database, generation: Int64) throws -> StoreMetadata {
        var meta: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM meta") { meta[row["key"]] = row["value"] }
        let environments = try Row.fetchAll(db, sql: "SELECT * FROM environments ORDER BY name").map { row in
            EnvironmentRecord(name: try EnvironmentName(row["name"]), description: row["description"],
                              namespace: row["namespace"], createdAt: row["created_at"])
        }
        var keys: [EnvironmentName: [KeyRecord]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM keys ORDER BY environment, active DESC, created_at DESC") {
            let record = try KeyRecord(row: row)
            keys[record.environment, default: []].append(record)
        }
        var activeAccessKeys: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, principal FROM access_keys WHERE status = 'Active'") {
            activeAccessKeys[row["id"]] = row["principal"]
        }
        return StoreMetadata(generation: generation, meta: meta, environments: environments, keys: keys,
                             accessControl: try accessControl(db), activeAccessKeys: activeAccessKeys)
    }

    private static func accessControl(_ db: Database) throws -> AccessControl {
        let decoder = JSONDecoder()
        let roles = try Row.fetchAll(db, sql: "SELECT * FROM roles ORDER BY name").map { row -> AccessRole in
            let rules = try decoder.decode([AccessRule].self, from: Data((row["rules"] as String).utf8))
            return AccessRole(name: row["name"], description: row["description"], rules: rules)
        }
        let bindings = try Row.fetchAll(db, sql: "SELECT * FROM bindings ORDER BY name").map { row -> AccessBinding in
            AccessBinding(name: row["name"], role: row["role"],
                          principals: try decoder.decode([String].self, from: Data((row["principals"] as String).utf8)),
                          environments: try decoder.decode([String].self, from: Data((row["environments"] as String).utf8)))
        }
        return AccessControl(roles: roles, bindings: bindings)
    }
}
