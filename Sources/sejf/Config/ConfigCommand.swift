import ArgumentParser
import Foundation
import SejfCore
import SejfService

/// `sejf config`: configuration values: secrets tagged `sejf:kind=config`, in the same store
/// with the same encryption, API and (later) audit.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Set, read and list configuration (secrets tagged sejf:kind=config).",
        subcommands: [Set.self, Get.self, List.self, Delete.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set a configuration value (a new version; created if missing).")

        @OptionGroup var target: SecretTarget

        @Argument(help: "The value (or use --value-file).")
        var value: String?

        @Option(name: .customLong("value-file"), help: ArgumentHelp("Read the value from a file, or - for stdin.", valueName: "file"))
        var valueFile: String?

        func run() throws {
            guard (value == nil) != (valueFile == nil) else { throw CommandLineFailure("give the value as an argument or with --value-file") }
            guard let (string, _) = try readValue(value: value, valueFile: valueFile) else { return }
            if let existing = try? target.api().call(SecretsManager.DescribeSecret.self, SecretIdRequest(SecretId: target.name)),
               !TagRules.isConfig(existing.Tags ?? []) {
                throw CommandLineFailure("\(target.name) is a secret, not configuration; use `sejf secret put`")
            }
            let response = try putOrCreate(target: target, string: string, binary: nil, token: nil, stages: nil,
                                           tags: [Tag(key: TagRules.kindKey, value: TagRules.configKind)])
            if target.store.output == .json { return try Output.json(response) }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print a configuration value.")

        @OptionGroup var target: SecretTarget

        func run() throws {
            let response = try target.api().call(SecretsManager.GetSecretValue.self, GetSecretValueRequest(SecretId: target.name))
            if target.store.output == .json { return try Output.json(response) }
            Output.line(response.SecretString ?? "")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List configuration values, in clear (configuration is not secret).")

        @OptionGroup var environment: EnvironmentOption
        @OptionGroup var store: StoreOptions

        func run() throws {
            let entries = try listAll(store: store, environment: environment,
                                      filters: [SecretFilter(Key: "tag-key", Values: [TagRules.kindKey])], includeDeleted: false)
                .filter { TagRules.isConfig($0.Tags ?? []) }
            let api = try store.api(environment)
            let values = try entries.map {
                ($0.Name, try api.call(SecretsManager.GetSecretValue.self, GetSecretValueRequest(SecretId: $0.ARN)).SecretString ?? "")
            }
            if store.output == .json { return try Output.json(Dictionary(uniqueKeysWithValues: values)) }
            Output.table(["NAME", "VALUE"], values.map { [$0.0, $0.1] })
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a configuration value now (no recovery window).")

        @OptionGroup var target: SecretTarget

        func run() throws {
            let api = try target.api()
            guard TagRules.isConfig(try api.call(SecretsManager.DescribeSecret.self, SecretIdRequest(SecretId: target.name)).Tags ?? []) else {
                throw CommandLineFailure("\(target.name) is a secret, not configuration; use `sejf secret delete`")
            }
            _ = try api.call(SecretsManager.DeleteSecret.self, DeleteSecretRequest(SecretId: target.name, ForceDeleteWithoutRecovery: true))
        }
    }
}
