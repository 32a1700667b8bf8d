import Foundation
import GRDB
import Testing
import SejfCore
@testable import SejfStore

/// Read transactions take unchanged secrets' records and versions from a per-process cache, yet
/// every change — from this store, another store on the same file (another process), or raw SQL —
/// is seen by the next read, a rolled-back change never is, and a purged secret's reused row id
/// never brings its record back.
struct SecretRecordCacheTests {
    private func read(_ name: String, from store: SQLiteSecretStore, in env: EnvironmentName) throws -> (SecretRecord, StagingLabels)? {
        try store.read { r in try r.secret(.name(name), in: env).map { ($0, try r.versions(of: $0)) } }
    }

    @Test func anUnchangedSecretIsServedFromTheCache() throws {
        let f = try StoreFixture()
        try f.createSecret("app/db", value: .string("v1"))
        let (first, _) = try #require(try read("app/db", from: f.store, in: f.dev))
        // A change made with the triggers gone leaves the revision as it was: only the cache can
        // still give the old description.
        try f.raw("DROP TRIGGER secrets_update_new_moves_secret_revision")
        try f.raw("UPDATE secrets SET description = 'changed behind the cache'")
        #expect(try read("app/db", from: f.store, in: f.dev)?.0 == first)
        #expect(try f.reopen().read { try $0.secret(.name("app/db"), in: f.dev)?.description } == "changed behind the cache")
    }

    @Test func changesByAnotherStoreOnTheSameFileAreSeenAtOnce() throws {
        let f = try StoreFixture()
        let other = try f.reopen()
        try f.createSecret("app/db", value: .string("v1"))
        let (before, labels) = try #require(try read("app/db", from: f.store, in: f.dev))
        #expect(labels.versions.map(\.id) == ["v-1"])

        try other.write { w in
            var secret = try #require(try w.secret(.name("app/db"), in: f.dev))
            secret.description = "the primary database"
            secret.tags = [Tag(key: "team", value: "payments")]
            try w.updateSecret(secret)
        }
        let (described, _) = try #require(try read("app/db", from: f.store, in: f.dev))
        #expect(described.description == "the primary database")
        #expect(described.tags == [Tag(key: "team", value: "payments")])

        try other.write { w in
            try w.insertVersion(of: before, id: "v-2", createdAt: 2, value: .string("v2"))
            try w.saveVersions(StagingLabels(versions: [VersionSummary(id: "v-1", createdAt: 1, stages: [StagingLabels.previous]),
                                                        VersionSummary(id: "v-2", createdAt: 2, stages: [StagingLabels.current])]), of: before)
        }
        let (_, moved) = try #require(try read("app/db", from: f.store, in: f.dev))
        #expect(moved.versions.map(\.id) == ["v-1", "v-2"])
        #expect(moved.versions.last?.stages == [StagingLabels.current])
    }

    @Test func rawSQLChangesAreSeenToo() throws {
        let f = try StoreFixture()
        try f.createSecret("app/db", value: .string("v1"))
        _ = try read("app/db", from: f.store, in: f.dev)
        try f.raw("UPDATE secrets SET description = 'edited by hand'")
        try f.raw("INSERT INTO tags (secret_id, key, value, position) SELECT id, 'k', 'v', 0 FROM secrets")
        let (secret, _) = try #require(try read("app/db", from: f.store, in: f.dev))
        #expect(secret.description == "edited by hand")
        #expect(secret.tags == [Tag(key: "k", value: "v")])
        try f.raw("DELETE FROM labels")
        #expect(try read("app/db", from: f.store, in: f.dev)?.1.versions.flatMap(\.stages) == [])
    }

    @Test func aRolledBackChangeIsNeverServedFromTheCache() throws {
        struct Abort: Error {}
        let f = try StoreFixture()
        try f.createSecret("app/db", value: .string("v1"))
        _ = try read("app/db", from: f.store, in: f.dev)
        #expect(throws: Abort.self) {
            try f.store.write { w in
                var secret = try #require(try w.secret(.name("app/db"), in: f.dev))
                secret.description = "never committed"
                try w.updateSecret(secret)
                throw Abort()
            }
        }
        #expect(try read("app/db", from: f.store, in: f.dev)?.0.description == nil)
    }

    @Test func aPurgedSecretsReusedRowIdDoesNotBringItsRecordBack() throws {
        let f = try StoreFixture()
        let old = try f.createSecret("old/name", value: .string("v1"))
        #expect(try read("old/name", from: f.store, in: f.dev)?.0 == old)
        try f.reopen().write { w in try w.purgeSecret(old) }
        let new = try f.createSecret("new/name", value: .string("v1"))
        #expect(new.rowId == old.rowId)  // SQLite reuses the largest row id once it is free
        #expect(try read("old/name", from: f.store, in: f.dev) == nil)
        #expect(try read("new/name", from: f.store, in: f.dev)?.0 == new)
    }

    @Test func theCacheWeighsVersionsAndStartsOverWhenFull() {
        let cache = SecretRecordCache()
        let record = { (id: Int64) in
            SecretRecord(rowId: id, arn: SecretARN(environment: try! EnvironmentName("dev"), account: "123456789012", name: "s\(id)", suffix: "AbCdEf"),
                         description: nil, kmsKeyId: nil, tags: [], createdAt: 0, lastChangedAt: 0, lastAccessedAt: nil, deletion: nil,
                         primaryRowId: nil, rotation: RotationSettings(),
                         resourcePolicy: nil)
        }
        let hundredVersions = StagingLabels(versions: (0..<100).map { VersionSummary(id: "v\($0)", createdAt: Double($0), stages: []) })
        var id: Int64 = 0
        while cache.size.cost + 101 <= SecretRecordCache.capacity {
            id += 1
            cache.store(record(id), revision: 7)
            cache.store(hundredVersions, of: id, revision: 7)
        }
        #expect(cache.size == (secrets: Int(id), cost: Int(id) * 101))
        #expect(cache.entry(1, revision: 7)?.versions == hundredVersions)
        #expect(cache.entry(1, revision: 8) == nil)  // another revision is a miss
        // One more secret with its versions goes over: the cache starts over with it alone.
        cache.store(record(id + 1), revision: 7)
        cache.store(hundredVersions, of: id + 1, revision: 7)
        #expect(cache.size == (secrets: 1, cost: 101))
        #expect(cache.entry(1, revision: 7) == nil)
        #expect(cache.entry(id + 1, revision: 7)?.versions == hundredVersions)
    }
}
