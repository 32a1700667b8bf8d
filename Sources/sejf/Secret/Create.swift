import ArgumentParser
import Foundation
import SejfCore
import SejfService

extension SecretCommand {
    /// `sejf secret create`: CreateSecret.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a secret, optionally with its first value.")

        @OptionGroup var target: SecretTarget
        @OptionGroup var value: ValueOptions

        @Option(name: .long, help: "Description.")
        var description: String?

        @Option(name: .long, help: ArgumentHelp("Tag, as key=value (repeatable).", valueName: "key=value"))
        var tag: [String] = []

        @Option(name: .long, help: ArgumentHelp("ClientRequestToken (32-64 characters): a retry with the same token and value is a no-op.", valueName: "token"))
        var token: String?

        func run() throws {
            let (string, binary) = try value.read() ?? (nil, nil)
            let response = try target.api().call(SecretsManager.CreateSecret.self, CreateSecretRequest(
                Name: target.name, ClientRequestToken: token, Description: description,
                SecretBinary: binary, SecretString: string, Tags: try parseTags(tag)))
            if target.store.output == .json { return try Output.json(response) }
            Output.line(response.ARN)
        }
    }
}
