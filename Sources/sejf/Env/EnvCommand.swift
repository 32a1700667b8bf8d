import ArgumentParser
import SejfService

/// `sejf env`: the environments of the data directory.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env", abstract: "Show environments.", subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List environments, their namespaces, key sources and counts.")

        @OptionGroup var store: StoreOptions

        func run() throws {
            let environments = try store.openService().listEnvironments()
            if store.output == .json { return try Output.json(environments) }
            Output.table(["NAME", "NAMESPACE", "KEY", "SECRETS", "CONFIGS", "DESCRIPTION"], environments.map {
                [$0.name, $0.namespace ?? "-", $0.keySource, String($0.secrets), String($0.configs), $0.description]
            })
        }
    }
}
