import ArgumentParser
import SejfService

extension SecretCommand {
    /// `sejf secret label`: UpdateSecretVersionStage.
    struct Label: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "label",
            abstract: "Move a staging label to a version (--to), or remove it from one (--from alone).",
            discussion: """
                With --to and without --from, the label is taken from whichever version has it now \
                (the AWS API would need RemoveFromVersionId). Moving AWSCURRENT makes the version \
                that had it AWSPREVIOUS, as in AWS.
                """)

        @OptionGroup var target: SecretTarget

        @Argument(help: "Staging label, e.g. AWSCURRENT or a custom one.")
        var label: String

        @Option(name: .long, help: ArgumentHelp("Version to attach the label to.", valueName: "version-id"))
        var to: String?

        @Option(name: .long, help: ArgumentHelp("Version to remove the label from.", valueName: "version-id"))
        var from: String?

        func run() throws {
            guard to != nil || from != nil else { throw CommandLineFailure("give --to, --from, or both") }
            let api = try target.api()
            var removeFrom = from
            if removeFrom == nil, let to {
                let holders = try api.call(SecretsManager.DescribeSecret.self, SecretIdRequest(SecretId: target.name)).VersionIdsToStages ?? [:]
                removeFrom = holders.first { $0.value.contains(label) && $0.key != to }?.key
            }
            let response = try api.call(SecretsManager.UpdateSecretVersionStage.self, UpdateSecretVersionStageRequest(
                SecretId: target.name, VersionStage: label, RemoveFromVersionId: removeFrom, MoveToVersionId: to))
            if target.store.output == .json { return try Output.json(response) }
        }
    }
}
