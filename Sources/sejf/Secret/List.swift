import ArgumentParser
import SejfCore
import SejfService

extension SecretCommand {
    /// `sejf secret list`: ListSecrets, all pages.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the secrets and configuration of an environment.")

        @OptionGroup var environment: EnvironmentOption
        @OptionGroup var store: StoreOptions

        @Flag(name: .customLong("include-deleted"), help: "Include secrets scheduled for deletion.")
        var includeDeleted = false

        @Option(name: .long, help: ArgumentHelp("ListSecrets filter, as key=value (name, description, tag-key, tag-value, all; '!' negates). Repeatable.", valueName: "key=value"))
        var filter: [String] = []

        func run() throws {
            let filters = try filter.map { pair -> SecretFilter in
                guard let eq = pair.firstIndex(of: "=") else { throw CommandLineFailure("filter '\(pair)' must be key=value") }
                return SecretFilter(Key: String(pair[..<eq]), Values: [String(pair[pair.index(after: eq)...])])
            }
            let entries = try listAll(store: store, environment: environment, filters: filters, includeDeleted: includeDeleted)
            if store.output == .json { return try Output.json(ListSecretsResponse(SecretList: entries)) }
            Output.table(["NAME", "KIND", "LAST CHANGED", "STATE", "DESCRIPTION"], entries.map { entry in
                [entry.Name, TagRules.isConfig(entry.Tags ?? []) ? "config" : "secret", Output.date(entry.LastChangedDate),
                 entry.DeletedDate == nil ? "active" : "deleted", entry.Description ?? ""]
            })
        }
    }
}

/// Every page of ListSecrets, sorted by name.
func listAll(store: StoreOptions, environment: EnvironmentOption, filters: [SecretFilter], includeDeleted: Bool) throws -> [SecretListEntry] {
    let api = try store.api(environment)
    var entries: [SecretListEntry] = []
    var token: String?
    repeat {
        let page = try api.call(SecretsManager.ListSecrets.self, ListSecretsRequest(
            IncludePlannedDeletion: includeDeleted, NextToken: token, Filters: filters.isEmpty ? nil : filters, SortBy: "name"))
        entries += page.SecretList
        token = page.NextToken
    } while token != nil
    return entries
}

extension ListSecretsResponse {
    init(SecretList: [SecretListEntry]) {
        self.init(SecretList: SecretList, NextToken: nil)
    }
}
