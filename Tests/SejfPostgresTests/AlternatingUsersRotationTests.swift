import Foundation
import SejfCore
import SejfPostgres
import SejfService
import Testing

/// `sejf:postgres-alternating-users` against a real PostgreSQL; logins and privileges are
/// checked with `psql`.
@Suite(.postgresServer)
struct AlternatingUsersRotationTests {
    let rotator = PostgresAlternatingUsersRotator()

    /// The master secret (the cluster's superuser), readable as `db/master`.
    private func secrets(masterPassword: String? = nil) throws -> [String: String] {
        let server = try server()
        return ["db/master": server.secret(user: "postgres", password: masterPassword ?? server.superuserPassword)]
    }

    /// A login role allowed to read a table of its own name; returns the current secret and password.
    private func makeApp(_ name: String) throws -> (String, String) {
        let server = try server()
        let password = randomPassword()
        try server.psql("""
            CREATE ROLE \(name) LOGIN PASSWORD '\(password)';
            CREATE TABLE \(name)_orders (id int); INSERT INTO \(name)_orders VALUES (1), (2);
            GRANT SELECT ON \(name)_orders TO \(name);
            """)
        return (server.secret(user: name, password: password, extra: ["masterarn": "db/master"]), password)
    }

    /// One full rotation (createSecret's value, setSecret, testSecret); returns the new value.
    private func rotate(current: String, previous: String? = nil, secrets: [String: String]) throws -> String {
        let pending = try rotator.newValue(rotationInput(current: current))
        let input = rotationInput(current: current, pending: pending, previous: previous, secrets: secrets)
        try rotator.setSecret(input)
        try rotator.testSecret(input)
        return pending
    }

    @Test func alternatesBetweenTheUserAndItsClone() throws {
        let server = try server()
        let secrets = try secrets()
        let (original, originalPassword) = try makeApp("shop")

        // First rotation: creates shop_clone, a member of shop.
        let first = try rotate(current: original, secrets: secrets)
        let clone = try object(first)
        let clonePassword = try #require(clone["password"] as? String)
        #expect(clone["username"] as? String == "shop_clone")
        #expect(server.canLogIn("shop", originalPassword))
        #expect(server.canLogIn("shop_clone", clonePassword))
        #expect(try server.psql("SELECT count(*) FROM shop_orders", user: "shop_clone", password: clonePassword) == "2")

        // The step again is a no-op.
        let stored = try server.psql("SELECT rolpassword FROM pg_authid WHERE rolname = 'shop_clone'")
        try rotator.setSecret(rotationInput(current: original, pending: first, secrets: secrets))
        #expect(try server.psql("SELECT rolpassword FROM pg_authid WHERE rolname = 'shop_clone'") == stored)

        // Second rotation, from the clone: back to shop, with a new password.
        let second = try object(rotate(current: first, previous: original, secrets: secrets))
        let newPassword = try #require(second["password"] as? String)
        #expect(second["username"] as? String == "shop")
        #expect(server.canLogIn("shop", newPassword))
        #expect(!server.canLogIn("shop", originalPassword))
        #expect(server.canLogIn("shop_clone", clonePassword))
        #expect(try server.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'shop%'") == "2")
    }

    @Test func wrongMasterPasswordIsAClearError() throws {
        let server = try server()
        let (current, _) = try makeApp("wrongmaster")
        let wrong = randomPassword()
        let pending = try rotator.newValue(rotationInput(current: current))
        let error = try #require(sejfError {
            try rotator.setSecret(rotationInput(current: current, pending: pending, secrets: try secrets(masterPassword: wrong)))
        })
        #expect(error.code == .invalidRequest)
        #expect(error.message.contains("master"))
        #expect(error.message.contains("authentication failed"))
        #expect(!error.message.contains(wrong))
        #expect(!error.message.contains(server.superuserPassword))
        #expect(try server.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'wrongmaster_clone'") == "0")
    }

    @Test func missingMasterARNIsAClearError() throws {
        let server = try server()
        let current = server.secret(user: "nomaster", password: randomPassword())
        let pending = try rotator.newValue(rotationInput(current: current))
        let error = try #require(sejfError { try rotator.setSecret(rotationInput(current: current, pending: pending, secrets: try secrets())) })
        #expect(error.code == .invalidRequest)
        #expect(error.message.contains("'masterarn'"))
    }

    @Test func unreadableMasterSecretIsAClearError() throws {
        let (current, _) = try makeApp("nosecret")
        let pending = try rotator.newValue(rotationInput(current: current))
        let error = try #require(sejfError { try rotator.setSecret(rotationInput(current: current, pending: pending)) })
        #expect(error.code == .resourceNotFound)
        #expect(error.message.contains("master secret"))
    }

    @Test func pendingUserMustAlternateWithTheCurrentOne() throws {
        let server = try server()
        let (current, _) = try makeApp("strict")
        let pending = server.secret(user: "postgres", password: randomPassword(), extra: ["masterarn": "db/master"])
        let error = try #require(sejfError { try rotator.setSecret(rotationInput(current: current, pending: pending, secrets: try secrets())) })
        #expect(error.message.contains("strict_clone"))
    }
}
