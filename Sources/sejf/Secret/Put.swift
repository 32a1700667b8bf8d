import ArgumentParser
import Foundation
import SejfCore
import SejfService

extension SecretCommand {
    /// `sejf secret put`: PutSecretValue, creating the secret first if it does not exist.
    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "put",
            abstract: "Store a new value (a new version, AWSCURRENT unless --label is given); creates the secret if needed.")

        @OptionGroup var target: SecretTarget
        @OptionGroup var value: ValueOptions

        @Option(name: .long, help: ArgumentHelp("Staging label for the new version (repeatable; default AWSCURRENT).", valueName: "label"))
        var label: [String] = []

        @Option(name: .long, help: ArgumentHelp("ClientRequestToken (32-64 characters) for idempotent retries.", valueName: "token"))
        var token: String?

        func run() throws {
            guard let (string, binary) = try value.read() else {
                throw CommandLineFailure("give the value with --value, --value-file or --binary-file")
            }
            let response = try putOrCreate(target: target, string: string, binary: binary, token: token,
                                           stages: label.isEmpty ? nil : label, tags: [])
            if target.store.output == .json { return try Output.json(response) }
            Output.line("\(response.VersionId)  \(response.VersionStages.joined(separator: ","))")
        }
    }
}

/// PutSecretValue on an existing secret, CreateSecret (with `tags`) on a missing one. Both answer
/// in PutSecretValue's shape.
func putOrCreate(target: SecretTarget, string: String?, binary: Data?, token: String?, stages: [String]?,
                 tags: [Tag]) throws -> PutSecretValueResponse {
    let api = try target.api()
    do {
        return try api.call(SecretsManager.PutSecretValue.self, PutSecretValueRequest(
            SecretId: target.name, ClientRequestToken: token, SecretBinary: binary, SecretString: string, VersionStages: stages))
    } catch let error as SejfError where error == .secretNotFound && stages == nil {
        let created = try api.call(SecretsManager.CreateSecret.self, CreateSecretRequest(
            Name: target.name, ClientRequestToken: token, SecretBinary: binary, SecretString: string, Tags: tags))
        return PutSecretValueResponse(ARN: created.ARN, Name: created.Name, VersionId: created.VersionId ?? "",
                                      VersionStages: ["AWSCURRENT"])
    }
}
