import PostgresNIO
import SejfCore
import SejfService

/// AWS's single-user strategy: the secret's user changes its own password.
///
/// Simple, but connections opened with the old password stop working for new logins at once;
/// use ``PostgresAlternatingUsersRotator`` where clients cannot re-read the secret promptly.
public struct PostgresSingleUserRotator: Rotator {
    /// The `RotationLambdaARN` that selects this rotator.
    public static let name = "sejf:postgres-single-user"

    public let settings: PostgresRotatorSettings

    public init(settings: PostgresRotatorSettings = PostgresRotatorSettings()) {
        self.settings = settings
    }

    /// The current JSON with a new random password.
    public func newValue(_ input: RotationInput) throws -> String {
        let current = try PostgresRotators.credentials(input.current, "AWSCURRENT")
        return try current.replacing(username: current.username, password: PostgresRotators.newPassword())
    }

    /// Sets the pending password: nothing to do if it already logs in; otherwise logs in with
    /// the current password (or the previous one, if the current one is refused) and runs
    /// `ALTER ROLE … WITH PASSWORD`, sending a SCRAM-SHA-256 verifier when it can.
    public func setSecret(_ input: RotationInput) throws {
        let deadline = settings.deadline()
        let pending = try PostgresRotators.credentials(input.pending, "AWSPENDING")
        let current = try PostgresRotators.credentials(input.current, "AWSCURRENT")
        guard pending.username == current.username else {
            throw SejfError(.invalidRequest, "The AWSPENDING value names user \"\(pending.username)\", not \"\(current.username)\" as AWSCURRENT does.")
        }
        try PostgresRotators.checkSameServer(pending, current)
        if try PostgresRotators.pendingWorks(pending, settings, deadline) { return }

        let session = try logIn(current, previous: input.previous, deadline: deadline)
        defer { session.close() }
        let statement = "ALTER ROLE \(try SQLText.identifier(pending.username)) WITH PASSWORD \(try SQLText.password(pending.password))"
        try session.run(PostgresQuery(unsafeSQL: statement), "ALTER ROLE for \"\(pending.username)\"", redacting: [pending.password])
        settings.logger.info("Changed the password of a PostgreSQL role", metadata: ["role": "\(pending.username)", "server": "\(pending.endpoint)"])
    }

    /// Logs in with the pending credentials and runs `SELECT 1`.
    public func testSecret(_ input: RotationInput) throws {
        try PostgresRotators.test(input, settings)
    }

    /// A session as the current user, falling back to the previous password of the same user on
    /// the same server; the error reported is the current credentials'.
    private func logIn(_ current: PostgresCredentials, previous: String?, deadline: NIODeadline) throws -> PostgresSession {
        let result = try PostgresSession.logIn(current, "the AWSCURRENT credentials", settings: settings, deadline: deadline)
        if case .failure = result, let previous = try? PostgresCredentials(json: previous ?? ""),
           previous.username == current.username, previous.endpoint == current.endpoint,
           case .success(let session) = try PostgresSession.logIn(previous, "the AWSPREVIOUS credentials", settings: settings, deadline: deadline) {
            return session
        }
        return try result.get()
    }
}
