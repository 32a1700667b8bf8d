import Foundation
import SejfCore
import SejfService
import Testing

/// A rotation step's input for `db/app`, reading other secrets from `secrets`.
func rotationInput(current: String?, pending: String? = nil, previous: String? = nil,
                   secrets: [String: String] = [:]) -> RotationInput {
    RotationInput(
        secretARN: "arn:aws:secretsmanager:dev:000000000000:secret:db/app-AbCdEf", secretName: "db/app",
        environment: try! EnvironmentName("dev"), token: UUID().uuidString,
        current: current, pending: pending, previous: previous,
        readSecret: { id in
            guard let value = secrets[id] else { throw SejfError.secretNotFound }
            return value
        })
}

/// The `SejfError` `body` throws; records an issue and returns nil if it throws none or another error.
func sejfError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> SejfError? {
    do {
        try body()
        Issue.record("expected a SejfError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as SejfError {
        return error
    } catch {
        Issue.record("expected a SejfError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A random password for a test role (printable ASCII, no quotes).
func randomPassword() -> String {
    "pw-" + UUID().uuidString
}

/// The JSON object in a secret value.
func object(_ json: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
}

/// The current server of the suite.
func server() throws -> PostgresTestServer {
    try #require(PostgresTestServer.current, "the suite needs the .postgresServer trait")
}
