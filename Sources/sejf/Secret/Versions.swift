import ArgumentParser
import SejfService

extension SecretCommand {
    /// `sejf secret versions`: ListSecretVersionIds, all pages.
    struct Versions: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "versions", abstract: "List a secret's versions, newest first.")

        @OptionGroup var target: SecretTarget

        @Flag(name: .customLong("include-deprecated"), help: "Include versions without staging labels.")
        var includeDeprecated = false

        func run() throws {
            let api = try target.api()
            var response: ListSecretVersionIdsResponse?
            var versions: [SecretVersionsListEntry] = []
            repeat {
                response = try api.call(SecretsManager.ListSecretVersionIds.self, ListSecretVersionIdsRequest(
                    SecretId: target.name, NextToken: response?.NextToken, IncludeDeprecated: includeDeprecated))
                versions += response!.Versions
            } while response?.NextToken != nil
            if target.store.output == .json {
                return try Output.json(ListSecretVersionIdsResponse(Versions: versions, NextToken: nil, ARN: response!.ARN, Name: response!.Name))
            }
            Output.table(["VERSION ID", "CREATED", "STAGES"], versions.map {
                [$0.VersionId, Output.date($0.CreatedDate), ($0.VersionStages ?? []).joined(separator: ",")]
            })
        }
    }
}
