import ArgumentParser
import SejfService

/// `sejf secret`: the AWS Secrets Manager operations on one environment's secrets.
struct SecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Create, read, change and delete secrets.",
        subcommands: [Create.self, Put.self, Get.self, Describe.self, List.self, Versions.self, Update.self,
                      Delete.self, Restore.self, TagCommand.self, Untag.self, Label.self, Rotation.self])
}

/// The options of a command on one named secret.
struct SecretTarget: ParsableArguments {
    @Argument(help: "Secret name or ARN.")
    var name: String

    @OptionGroup var environment: EnvironmentOption
    @OptionGroup var store: StoreOptions

    /// The API for this environment: embedded, or remote when an endpoint is set.
    func api() throws -> any SecretsAPI { try store.api(environment) }
}
