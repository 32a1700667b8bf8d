import Foundation
import GRDB
import Testing
import SejfCore
import SejfCrypto
@testable import SejfStore

/// The metadata snapshot (account, environments, keys, roles, bindings, active access keys) is
/// cached per process, yet every change — from this store, another store on the same file (another
/// process), or raw SQL — is seen by the next session, and a rolled-back change never is.
struct MetadataCacheTests {
    let role = AccessRole(name: "readers", description: "", rules: [AccessRule(actions: ["secretsmanager:GetSecretValue"], secrets: ["*"])])

    private func addKey(_ id: String, to store: SQLiteSecretStore) throws {
        try store.write { w in
            if try w.principal(named: "api") == nil {
                try w.insertPrincipal(PrincipalRecord(name: "api", description: "", createdAt: 1))
            }
            try w.insertAccessKey(AccessKeyRecord(id: id, principal: "api", status: .active, createdAt: 1),
                                  secret: SecureBytes(copying: Array("secret-of-\(id)".utf8)))
        }
    }

    @Test func changesByAnotherStoreOnTheSameFileAreSeenAtOnce() throws {
        let f = try StoreFixture()
        let other = try f.reopen()
        try addKey("AKIAMETADATA00000001", to: f.store)
        #expect(try f.store.read { try $0.activeAccessKeyPrincipal("AKIAMETADATA00000001") } == "api")
        #expect(try f.store.read { try $0.accessControl().role(named: "readers") } == nil)

        try other.write { w in
            try w.saveRole(role, at: 2)
            var key = try #require(try w.accessKey("AKIAMETADATA00000001"))
            key.status = .inactive
            try w.updateAccessKey(key)
        }
        #expect(try f.store.read { try $0.accessControl().role(named: "readers") } == role)
        #expect(try f.store.read { try $0.activeAccessKeyPrincipal("AKIAMETADATA00000001") } == nil)
    }

    @Test func rawSQLChangesAreSeenToo() throws {
        let f = try StoreFixture()
        #expect(try f.store.read { try $0.environments().map(\.name) } == [f.dev, f.prod])
        try f.raw("INSERT INTO environments (name, description, namespace, created_at) VALUES ('qa', '', NULL, 0)")
        #expect(try f.store.read { try $0.environments().map(\.name.rawValue) } == ["dev", "prod", "qa"])
    }

    @Test func aRolledBackChangeIsNeverServedFromTheCache() throws {
        struct Abort: Error {}
        let f = try StoreFixture()
        #expect(throws: Abort.self) {
            try f.store.write { w in
                try w.saveRole(role, at: 2)
                // Seen inside its own transaction…
                #expect(try w.accessControl().role(named: "readers") == role)
                throw Abort()
            }
        }
        // …and gone once it rolled back.
        #expect(try f.store.read { try $0.accessControl().role(named: "readers") } == nil)
    }

    @Test func recordingAKeysUseDoesNotInvalidateTheSnapshot() throws {
        let f = try StoreFixture()
        try addKey("AKIAMETADATA00000002", to: f.store)
        let generation = { try f.store.read { try Int64.fetchOne(($0 as! Session).db, sql: "SELECT value FROM metadata_generation") } }
        let before = try generation()
        try f.store.write { w in
            var key = try #require(try w.accessKey("AKIAMETADATA00000002"))
            key.lastUsedAt = 5
            try w.updateAccessKey(key)
        }
        #expect(try generation() == before)
        try f.store.write { try $0.deleteAccessKey("AKIAMETADATA00000002") }
        #expect(try generation() != before)
        #expect(try f.store.read { try $0.activeAccessKeyPrincipal("AKIAMETADATA00000002") } == nil)
    }
}
