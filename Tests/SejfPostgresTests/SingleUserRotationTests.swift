import Foundation
import SejfCore
import SejfPostgres
import SejfService
import Testing

/// `sejf:postgres-single-user` against a real PostgreSQL; logins are checked with `psql`.
@Suite(.postgresServer)
struct SingleUserRotationTests {
    let rotator = PostgresSingleUserRotator()

    /// A new login role with a random password; its name and password.
    private func makeRole(_ name: String) throws -> (String, String) {
        let password = randomPassword()
        try server().psql("CREATE ROLE \(name) LOGIN PASSWORD '\(password)'")
        return (name, password)
    }

    private func storedPassword(_ role: String) throws -> String {
        try server().psql("SELECT rolpassword FROM pg_authid WHERE rolname = '\(role)'")
    }

    @Test func rotatesThePassword() throws {
        let server = try server()
        let (role, old) = try makeRole("single_app")
        let current = server.secret(user: role, password: old)
        let pending = try rotator.newValue(rotationInput(current: current))
        let new = try #require(try object(pending)["password"] as? String)
        let input = rotationInput(current: current, pending: pending)

        try rotator.setSecret(input)
        try rotator.testSecret(input)
        #expect(!server.canLogIn(role, old))
        #expect(server.canLogIn(role, new))
        let stored = try storedPassword(role)
        #expect(stored.hasPrefix("SCRAM-SHA-256$4096:"))

        // Repeating the step changes nothing: the pending password already works.
        try rotator.setSecret(input)
        #expect(try storedPassword(role) == stored)
        #expect(server.canLogIn(role, new))
    }

    @Test(arguments: [#"it's "quoted" \ $$ and spaces"#, #"zażółć gęślą jaźń 'x' "y" \ $$"#])
    func setsPasswordsThatNeedEscaping(password: String) throws {
        let server = try server()
        let (role, old) = try makeRole("escape_\(password.unicodeScalars.allSatisfy(\.isASCII) ? "ascii" : "utf8")")
        let input = rotationInput(current: server.secret(user: role, password: old),
                                  pending: server.secret(user: role, password: password))
        try rotator.setSecret(input)
        try rotator.testSecret(input)
        #expect(server.canLogIn(role, password))
        #expect(!server.canLogIn(role, old))
        #expect(try storedPassword(role).hasPrefix("SCRAM-SHA-256$4096:"))
    }

    @Test func fallsBackToThePreviousPassword() throws {
        let server = try server()
        let (role, old) = try makeRole("single_previous")
        let new = randomPassword()
        let input = rotationInput(current: server.secret(user: role, password: randomPassword()),
                                  pending: server.secret(user: role, password: new),
                                  previous: server.secret(user: role, password: old))
        try rotator.setSecret(input)
        #expect(server.canLogIn(role, new))
    }

    @Test func wrongCurrentPasswordIsAnAuthenticationError() throws {
        let server = try server()
        let (role, right) = try makeRole("single_wrong")
        let wrong = randomPassword(), new = randomPassword()
        let input = rotationInput(current: server.secret(user: role, password: wrong), pending: server.secret(user: role, password: new))
        let error = try #require(sejfError { try rotator.setSecret(input) })
        #expect(error.code == .invalidRequest)
        #expect(error.message.contains("authentication failed"))
        #expect(error.message.contains("AWSCURRENT"))
        for secret in [right, wrong, new] { #expect(!error.message.contains(secret)) }
        #expect(server.canLogIn(role, right))
        #expect(sejfError { try rotator.testSecret(input) }?.message.contains("AWSPENDING") == true)
    }

    @Test func unreachableServerFailsQuickly() throws {
        let port = try PostgresTestServer.freePort()
        let password = randomPassword()
        let current = #"{"engine": "postgres", "host": "127.0.0.1", "port": \#(port), "username": "app", "password": "\#(password)"}"#
        let input = rotationInput(current: current, pending: try rotator.newValue(rotationInput(current: current)))
        let start = ContinuousClock.now
        let error = try #require(sejfError { try rotator.setSecret(input) })
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(error.message.contains("127.0.0.1:\(port)"))
        #expect(error.message.contains("Cannot connect"))
        #expect(!error.message.contains(password))
    }

    @Test func silentServerTimesOut() throws {
        let (fd, port) = try PostgresTestServer.loopbackSocket()
        defer { close(fd) }
        #expect(listen(fd, 8) == 0)
        let rotator = PostgresSingleUserRotator(settings: PostgresRotatorSettings(stepTimeout: .seconds(1)))
        let current = #"{"host": "127.0.0.1", "port": \#(port), "username": "app", "password": "x"}"#
        let start = ContinuousClock.now
        let error = try #require(sejfError { try rotator.testSecret(rotationInput(current: current, pending: current)) })
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(error.message.contains("127.0.0.1:\(port)"))
        #expect(error.message.contains("in time"))
    }

    @Test(arguments: ["username", "password"])
    func secretWithoutAFieldIsRejected(field: String) throws {
        let server = try server()
        var broken = try object(server.secret(user: "app", password: "s3cr3t-value"))
        broken[field] = nil
        let json = String(decoding: try JSONSerialization.data(withJSONObject: broken), as: UTF8.self)
        for input in [rotationInput(current: json), rotationInput(current: server.secret(user: "app", password: "p"), pending: json)] {
            let error = try #require(sejfError { _ = try rotator.newValue(input); try rotator.setSecret(input) })
            #expect(error.code == .invalidRequest)
            #expect(error.message.contains("'\(field)'"))
            #expect(!error.message.contains("s3cr3t-value"))
        }
    }
}
