import Logging
import PostgresNIO
import SejfCore
import SejfCrypto
import SejfService

/// The PostgreSQL rotators by their `RotationLambdaARN` name.
public enum PostgresRotators {
    /// `sejf:postgres-single-user` and `sejf:postgres-alternating-users`, with default settings.
    public static let all: [String: any Rotator] = [
        PostgresSingleUserRotator.name: PostgresSingleUserRotator(),
        PostgresAlternatingUsersRotator.name: PostgresAlternatingUsersRotator(),
    ]

    /// Characters AWS's rotation functions keep out of generated passwords: they break
    /// connection URLs and shell quoting.
    public static let excludedPasswordCharacters = ":/@\"'\\"

    /// A new 32-character password from libsodium's uniform random numbers.
    static func newPassword() throws -> String {
        try PasswordRules.generate(PasswordRequest(excludeCharacters: excludedPasswordCharacters)) {
            Int(randomUniform(UInt32($0)))
        }
    }

    /// The credentials in one version of the secret, `stage` naming it in messages.
    static func credentials(_ value: String?, _ stage: String) throws -> PostgresCredentials {
        guard let value else { throw SejfError(.invalidRequest, "The secret has no \(stage) value to rotate from.") }
        do {
            return try PostgresCredentials(json: value)
        } catch let error as SejfError {
            throw SejfError(error.code, "\(stage): \(error.message)")
        }
    }

    /// Checks that `pending` targets the server `current` does, so a rotation cannot be pointed
    /// at another database.
    static func checkSameServer(_ pending: PostgresCredentials, _ current: PostgresCredentials) throws {
        guard pending.host == current.host, pending.port == current.port else {
            throw SejfError(.invalidRequest, "The AWSPENDING value names server \(pending.endpoint), not \(current.endpoint) as AWSCURRENT does.")
        }
    }

    /// Logs in with the pending credentials and runs `SELECT 1`: `testSecret` of both strategies.
    static func test(_ input: RotationInput, _ settings: PostgresRotatorSettings) throws {
        let pending = try credentials(input.pending, "AWSPENDING")
        let session = try PostgresSession.logIn(pending, "the AWSPENDING credentials", settings: settings,
                                                deadline: settings.deadline()).get()
        defer { session.close() }
        try session.run("SELECT 1", "SELECT 1")
    }

    /// Whether the pending credentials already log in (the step ran before).
    static func pendingWorks(_ pending: PostgresCredentials, _ settings: PostgresRotatorSettings, _ deadline: NIODeadline) throws -> Bool {
        switch try PostgresSession.logIn(pending, "the AWSPENDING credentials", settings: settings, deadline: deadline) {
        case .success(let session):
            session.close()
            return true
        case .failure:
            return false
        }
    }
}

/// Timeouts and logging shared by the PostgreSQL rotators. Connections do not use TLS.
public struct PostgresRotatorSettings: Sendable {
    /// The longest a TCP connection attempt may take.
    public var connectTimeout: Duration
    /// The longest one rotation step (`setSecret`, `testSecret`) may take, all logins and
    /// statements included.
    public var stepTimeout: Duration
    /// Receives PostgresNIO's events and one line per role changed; never a password.
    public var logger: Logger

    /// - Parameters:
    ///   - connectTimeout: 5 seconds by default.
    ///   - stepTimeout: 10 seconds by default.
    ///   - logger: discards everything by default.
    public init(connectTimeout: Duration = .seconds(5), stepTimeout: Duration = .seconds(10),
                logger: Logger = Logger(label: "sejf.postgres", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.connectTimeout = connectTimeout
        self.stepTimeout = stepTimeout
        self.logger = logger
    }

    func deadline() -> NIODeadline { .now() + stepTimeout.timeAmount }
}
