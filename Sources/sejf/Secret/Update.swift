import ArgumentParser
import SejfService

extension SecretCommand {
    /// `sejf secret update`: UpdateSecret.
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update", abstract: "Change a secret's description and/or value.")

        @OptionGroup var target: SecretTarget
        @OptionGroup var value: ValueOptions

        @Option(name: .long, help: "New description.")
        var description: String?

        @Option(name: .long, help: ArgumentHelp("ClientRequestToken (32-64 characters) for idempotent retries.", valueName: "token"))
        var token: String?

        func run() throws {
            let (string, binary) = try value.read() ?? (nil, nil)
            let response = try target.api().call(SecretsManager.UpdateSecret.self, UpdateSecretRequest(
                SecretId: target.name, ClientRequestToken: token, Description: description, SecretBinary: binary, SecretString: string))
            if target.store.output == .json { return try Output.json(response) }
            Output.line(response.VersionId.map { "\(response.ARN)  \($0)" } ?? response.ARN)
        }
    }
}
