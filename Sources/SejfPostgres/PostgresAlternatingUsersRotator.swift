import PostgresNIO
import SejfCore
import SejfService

/// AWS's alternating-users strategy: two roles, `<user>` and `<user>_clone`, take turns. Each
/// rotation gives the role not in use a new password, so the current one keeps working until
/// clients have moved over.
///
/// A master secret (the `masterarn` member) holds a role allowed to create roles and change
/// passwords. The first rotation creates `<user>_clone` and grants it `<user>`, so it has the
/// same privileges.
public struct PostgresAlternatingUsersRotator: Rotator {
    /// The `RotationLambdaARN` that selects this rotator.
    public static let name = "sejf:postgres-alternating-users"

    /// PostgreSQL's limit on identifiers, in bytes (`NAMEDATALEN - 1`).
    static let maxRoleNameBytes = 63

    public let settings: PostgresRotatorSettings

    public init(settings: PostgresRotatorSettings = PostgresRotatorSettings()) {
        self.settings = settings
    }

    /// The role that takes over from `username`: without its `_clone` suffix if it has one,
    /// with it otherwise.
    /// - Throws: `SejfError` when `<username>_clone` would exceed 63 bytes (as AWS does, rather
    ///   than truncate, which would break the alternation).
    public static func alternateUsername(_ username: String) throws -> String {
        if username.hasSuffix("_clone") { return String(username.dropLast("_clone".count)) }
        let clone = username + "_clone"
        guard clone.utf8.count <= maxRoleNameBytes else {
            throw SejfError(.invalidRequest, "Cannot alternate user \"\(username)\": \"\(clone)\" would exceed PostgreSQL's \(maxRoleNameBytes)-byte limit on role names.")
        }
        return clone
    }

    /// The current JSON with the other username and a new random password.
    public func newValue(_ input: RotationInput) throws -> String {
        let current = try PostgresRotators.credentials(input.current, "AWSCURRENT")
        return try current.replacing(username: Self.alternateUsername(current.username), password: PostgresRotators.newPassword())
    }

    /// Makes the pending role log in with the pending password: nothing to do if it already
    /// does; otherwise, as the master user, creates the role (granting it the current role) or
    /// sets its password.
    public func setSecret(_ input: RotationInput) throws {
        let deadline = settings.deadline()
        let pending = try PostgresRotators.credentials(input.pending, "AWSPENDING")
        let current = try PostgresRotators.credentials(input.current, "AWSCURRENT")
        guard let masterARN = current.masterARN, !masterARN.isEmpty else {
            throw SejfError(.invalidRequest, "AWSCURRENT: the PostgreSQL secret JSON has no 'masterarn' field, which the alternating-users strategy needs.")
        }
        let expected = try Self.alternateUsername(current.username)
        guard pending.username == expected else {
            throw SejfError(.invalidRequest, "The AWSPENDING value names user \"\(pending.username)\", not \"\(expected)\" that alternates with \"\(current.username)\".")
        }
        try PostgresRotators.checkSameServer(pending, current)
        if try PostgresRotators.pendingWorks(pending, settings, deadline) { return }

        // The current credentials must work before the master acts for them (AWS's guard
        // against a confused deputy).
        try PostgresSession.logIn(current, "the AWSCURRENT credentials", settings: settings, deadline: deadline).get().close()

        var master = try masterCredentials(input, masterARN)
        guard master.host == current.host, master.port == current.port else {
            throw SejfError(.invalidRequest, "The master secret names server \(master.endpoint), not \(current.endpoint) as AWSCURRENT does.")
        }
        master.dbname = current.dbname
        let session = try PostgresSession.logIn(master, "the master secret's credentials", settings: settings, deadline: deadline).get()
        defer { session.close() }

        let role = try SQLText.identifier(pending.username)
        let password = try SQLText.password(pending.password)
        let exists = try session.run("SELECT 1 FROM pg_roles WHERE rolname = \(pending.username)", "the role lookup").count > 0
        if exists {
            try session.run(PostgresQuery(unsafeSQL: "ALTER ROLE \(role) WITH PASSWORD \(password)"), "ALTER ROLE for \"\(pending.username)\"",
                            redacting: [pending.password])
        } else {
            // One transaction: a role is never left created without the current role's privileges.
            try session.run("BEGIN", "BEGIN")
            try session.run(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) WITH LOGIN PASSWORD \(password)"),
                            "CREATE ROLE for \"\(pending.username)\"", redacting: [pending.password])
            try session.run(PostgresQuery(unsafeSQL: "GRANT \(try SQLText.identifier(current.username)) TO \(role)"),
                            "GRANT \"\(current.username)\" TO \"\(pending.username)\"")
            try session.run("COMMIT", "COMMIT")
        }
        settings.logger.info(exists ? "Changed the password of a PostgreSQL role" : "Created a PostgreSQL role",
                             metadata: ["role": "\(pending.username)", "server": "\(pending.endpoint)"])
    }

    /// Logs in as the pending role and runs `SELECT 1`.
    public func testSecret(_ input: RotationInput) throws {
        try PostgresRotators.test(input, settings)
    }

    /// The master secret's credentials, read through the API as the rotation's principal.
    private func masterCredentials(_ input: RotationInput, _ arn: String) throws -> PostgresCredentials {
        let value: String
        do {
            value = try input.readSecret(arn)
        } catch let error as SejfError {
            throw SejfError(error.code, "Cannot read the master secret: \(error.message)")
        }
        return try PostgresRotators.credentials(value, "The master secret")
    }
}
