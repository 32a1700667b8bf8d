import Foundation
import Testing
import SejfCore
import SejfCrypto
@testable import SejfStore

/// The contract of the `SecretStore` seam. Every implementation runs these; today that is
/// `SQLiteSecretStore`, and a second backend must pass them unchanged.
@Suite struct SecretStoreConformance {
    let f: StoreFixture
    var store: any SecretStore { f.store }

    init() throws { f = try StoreFixture() }

    @Test func environmentsAndKeys() throws {
        let envs = try store.read { try $0.environments() }
        #expect(envs.map(\.name.rawValue) == ["dev", "prod"])
        let keys = try store.read { try $0.keys(of: f.prod) }
        #expect(keys.count == 1)
        #expect(keys[0].source == .file)
        #expect(keys[0].id.count == 32)
        #expect(try store.read { try $0.accountId() } == f.account)
    }

    @Test func secretLookupByNameFullAndPartialARN() throws {
        let secret = try f.createSecret("db/credentials", value: .string("s3cr3t"))
        for id in ["db/credentials", secret.arn.description, "arn:aws:secretsmanager:dev:\(f.account):secret:db/credentials"] {
            let found = try store.read { try $0.secret(try SecretIdentifier(id), in: f.dev) }
            #expect(found?.rowId == secret.rowId, "lookup by \(id)")
        }
        #expect(try store.read { try $0.secret(.name("db/credentials"), in: f.prod) } == nil)
        #expect(try store.read { try $0.secret(.name("db/other"), in: f.dev) } == nil)
    }

    @Test func namesAreUniquePerEnvironmentOnly() throws {
        try f.createSecret("db/credentials", value: .string("a"))
        try f.createSecret("db/credentials", value: .string("b"), in: f.prod)
        #expect(throws: SejfError.self) { try f.createSecret("db/credentials", value: .string("c")) }
        #expect(try store.read { try $0.secrets(in: f.dev) }.count == 1)
    }

    @Test func valuesRoundTripStringAndBinary() throws {
        let text = try f.createSecret("text", value: .string("zażółć gęślą jaźń"))
        let binary = try f.createSecret("binary", value: .binary([0, 255, 1, 128]))
        #expect(try store.read { try $0.value(of: text, versionId: "v-1") } == .string("zażółć gęślą jaźń"))
        #expect(try store.read { try $0.value(of: binary, versionId: "v-1") } == .binary([0, 255, 1, 128]))
        #expect(throws: SejfError.valueNotFound(versionId: "v-2")) { try store.read { try $0.value(of: text, versionId: "v-2") } }
    }

    @Test func versionsAndLabelsRoundTripAndPrune() throws {
        let secret = try f.createSecret("s", value: .string("one"))
        try store.write { w in
            var labels = try w.versions(of: secret)
            try labels.addVersion(id: "v-2", createdAt: 2, stages: nil)
            try w.insertVersion(of: secret, id: "v-2", createdAt: 2, value: .string("two"))
            try w.saveVersions(labels, of: secret)
        }
        let labels = try store.read { try $0.versions(of: secret) }
        #expect(labels.versions.map(\.id) == ["v-1", "v-2"])
        #expect(labels.version(withStage: StagingLabels.current)?.id == "v-2")
        #expect(labels.version(withStage: StagingLabels.previous)?.id == "v-1")
        // Saving a label set without a version deletes that version.
        try store.write { w in
            var labels = try w.versions(of: secret)
            try labels.updateStage(StagingLabels.previous, removeFrom: "v-1", moveTo: nil)
            labels.removeVersions(["v-1"])
            try w.saveVersions(labels, of: secret)
        }
        #expect(try store.read { try $0.versions(of: secret) }.versions.map(\.id) == ["v-2"])
    }

    @Test func metadataUpdatesPersist() throws {
        var secret = try f.createSecret("s", value: .string("v"))
        secret.description = "described"
        secret.tags = [Tag(key: "b", value: "2"), Tag(key: "a", value: "1")]
        secret.deletion = DeletionState(deletedAt: 10, purgeAt: 20)
        try store.write { try $0.updateSecret(secret) }
        #expect(try store.read { try $0.secret(.name("s"), in: f.dev) } == secret)
        // Use is recorded apart, never moves back, and an update leaves it alone.
        try store.write { try $0.recordAccess(toSecrets: [secret.rowId], day: 5) }
        try store.write { try $0.recordAccess(toSecrets: [secret.rowId], day: 4) }
        secret.tags = [Tag(key: "a", value: "1")]
        try store.write { try $0.updateSecret(secret) }
        secret.lastAccessedAt = 5
        #expect(try store.read { try $0.secret(.name("s"), in: f.dev) } == secret)
    }

    @Test func failedTransactionWritesNothing() throws {
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try store.write { w in
                let s = try w.insertSecret(NewSecret(arn: f.arn("half"), description: nil, kmsKeyId: nil, tags: [], createdAt: 1))
                try w.insertVersion(of: s, id: "v-1", createdAt: 1, value: .string("x"))
                throw Boom()
            }
        }
        #expect(try store.read { try $0.secrets(in: f.dev) }.isEmpty)
    }

    @Test func purgeRemovesSecretAndVersions() throws {
        let keep = try f.createSecret("keep", value: .string("k"))
        let gone = try f.createSecret("gone", value: .string("g"))
        var expiring = try f.createSecret("expiring", value: .string("e"))
        expiring.deletion = DeletionState(deletedAt: 1, purgeAt: 100)
        try store.write { try $0.updateSecret(expiring) }
        try store.write { try $0.purgeSecret(gone) }
        #expect(try store.write { try $0.purgeExpiredSecrets(now: 99) } == 0)
        #expect(try store.write { try $0.purgeExpiredSecrets(now: 100) } == 1)
        #expect(try store.read { try $0.secrets(in: f.dev) }.map(\.name) == ["keep"])
        #expect(try store.read { try $0.value(of: keep, versionId: "v-1") } == .string("k"))
        #expect(throws: SejfError.self) { try store.read { try $0.value(of: gone, versionId: "v-1") } }
    }

    @Test func principalsAndAccessKeys() throws {
        try store.write { w in
            try w.insertPrincipal(PrincipalRecord(name: "admin", description: "the admin", createdAt: 0))
            try w.insertPrincipal(PrincipalRecord(name: "api", description: "", createdAt: 1))
        }
        // `sejf-scheduler` comes with the schema: scheduled rotations run as it.
        #expect(try store.read { try $0.principals() }.map(\.name) == ["admin", "api", "sejf-scheduler"])
        #expect(try store.read { try $0.principal(named: "admin") }?.description == "the admin")
        let secret = SecureBytes(copying: Array("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8))
        let key = AccessKeyRecord(id: "AKIAEXAMPLE000000001", principal: "api", status: .active, createdAt: 2)
        try store.write { try $0.insertAccessKey(key, secret: secret) }
        #expect(try store.read { try $0.accessKey(key.id) } == key)
        #expect(try store.read { try $0.accessKeySecret(key.id) }?.constantTimeEquals(secret) == true)
        #expect(try store.read { try $0.accessKeySecret("AKIAUNKNOWN000000000") } == nil)
        var revoked = key
        revoked.status = .inactive
        revoked.lastUsedAt = 3
        try store.write { try $0.updateAccessKey(revoked) }
        #expect(try store.read { try $0.accessKeys(of: "api") } == [revoked])
        try store.write { try $0.deletePrincipal(named: "api") }
        #expect(try store.read { try $0.accessKeys(of: nil) }.isEmpty)
    }
}
