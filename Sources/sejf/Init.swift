import ArgumentParser
import Foundation
import SejfCore
import SejfService

/// `sejf init`: create the data directory, one key per environment and the admin principal.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a data directory: the database, one key per environment, the admin principal.",
        discussion: """
            Environments come from --environments, else from the *.yaml files of --definitions \
            (default: ./environments when it exists), else dev, staging and prod. Each environment's \
            key is taken from SEJF_KEY_<ENV> or SEJF_PASSPHRASE_<ENV> when set, otherwise a random \
            key is written to <key-dir>/<env>.key with mode 0600.
            """)

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Comma-separated environment names.", valueName: "list"))
    var environments: String?

    @Option(name: .long, help: ArgumentHelp("Directory of environment definitions (*.yaml).", valueName: "dir"))
    var definitions: String?

    @Option(name: .long, help: "Argon2id profile for passphrase keys: interactive or moderate.")
    var kdf: String = KDFProfile.moderate.rawValue

    func run() throws {
        guard let profile = KDFProfile(rawValue: kdf) else {
            throw CommandLineFailure("--kdf must be one of: \(KDFProfile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let report = try DataStoreSetup.initialise(store.directory, environments: try resolveEnvironments(), kdf: profile)
        if store.output == .json {
            try Output.json(InitJSON(report))
            return
        }
        let key = report.adminAccessKey
        Output.line("Initialised \(report.dataDirectory) (account \(report.account), principal '\(report.adminPrincipal)').")
        Output.table(["ENVIRONMENT", "KEY SOURCE", "KEY ID"], report.environments.map { [$0.name, $0.keySource, $0.keyId] })
        Output.line("""
            Key files are in \(store.directory.keyDirectory): back them up apart from the database; without them \
            the secrets cannot be read.

            Access key of '\(key.Principal)' (the secret is shown only now):
              AccessKeyId:     \(key.AccessKeyId)
              SecretAccessKey: \(key.SecretAccessKey)

            For the AWS CLI, add to ~/.aws/credentials:
              [sejf]
              aws_access_key_id = \(key.AccessKeyId)
              aws_secret_access_key = \(key.SecretAccessKey)
            then: sejf server --data \(report.dataDirectory) &
                  aws --profile sejf --endpoint-url http://127.0.0.1:8780 --region \(report.environments[0].name) secretsmanager list-secrets
            """)
    }

    private func resolveEnvironments() throws -> [EnvironmentDefinition] {
        if let environments {
            return try environments.split(separator: ",").map {
                EnvironmentDefinition.named(try EnvironmentName(String($0).trimmingCharacters(in: .whitespaces)))
            }
        }
        if let definitions { return try EnvironmentDefinition.load(directory: definitions) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "environments", isDirectory: &isDirectory), isDirectory.boolValue {
            return try EnvironmentDefinition.load(directory: "environments")
        }
        return try ["dev", "staging", "prod"].map { EnvironmentDefinition.named(try EnvironmentName($0)) }
    }
}

private struct InitJSON: Encodable {
    struct Environment: Encodable {
        var Name: String
        var KeySource: String
        var KeyId: String
    }
    var DataDirectory: String
    var Account: String
    var Principal: String
    var Environments: [Environment]
    var AccessKeyId: String
    var SecretAccessKey: String

    init(_ report: InitReport) {
        DataDirectory = report.dataDirectory
        Account = report.account
        Principal = report.adminPrincipal
        AccessKeyId = report.adminAccessKey.AccessKeyId
        SecretAccessKey = report.adminAccessKey.SecretAccessKey
        Environments = report.environments.map { Environment(Name: $0.name, KeySource: $0.keySource, KeyId: $0.keyId) }
    }
}
