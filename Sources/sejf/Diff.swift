import ArgumentParser
import Foundation
import SejfCore
import SejfService

/// `sejf diff --env staging --env prod`: what differs between two environments.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two environments: missing keys, configuration side by side, secrets only as same/different.",
        discussion: """
            Example: sejf diff --env staging --env prod. Secret values are compared in memory and never printed. \
            With --app, only the secrets and configuration that app uses (in either environment's definition).
            """)

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "The two environments (give --env twice).")
    var env: [String] = []

    @Option(name: .long, help: "Only the keys this app of environments/<env>.yaml uses.")
    var app: String?

    @OptionGroup var definitions: DefinitionsOption

    @Argument(help: "Only these keys (default: every key of either environment).")
    var keys: [String] = []

    func run() throws {
        guard env.count == 2 else { throw CommandLineFailure("give two environments: --env staging --env prod") }
        var selected = keys.isEmpty ? nil : keys
        if let app {
            let used = try appKeys(app)
            selected = selected.map { $0.filter(used.contains) } ?? used.sorted()
        }
        let rows = try compare(store, env[0], env[1], keys: selected)
        if store.output == .json { return try Output.json(rows) }
        printDiff(rows, env[0], env[1])
    }
}

extension DiffCommand {
    /// The keys `app` uses in either environment; an error when neither defines it.
    func appKeys(_ app: String) throws -> Set<String> {
        var keys = Set<String>()
        var missing: [any Error] = []
        for name in env {
            let definition = try EnvironmentDefinition.load(environment: try EnvironmentName(name), directory: definitions.directory)
            do {
                keys.formUnion(try definition.app(named: app).secretNames)
            } catch {
                missing.append(error)
            }
        }
        if missing.count == env.count, let first = missing.first { throw first }
        return keys
    }
}

/// `sejf promote --from staging --to prod KEY…`: copies configuration (and with `--secrets`,
/// secrets) across, after showing the difference. Each copy is a normal, audited write.
struct PromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Copy chosen configuration (and with --secrets, secrets) from one environment to another.",
        discussion: "Example: sejf promote --from staging --to prod api/debug api/allowed-hosts. Shows the diff first; --dry-run stops there.")

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "Source environment.") var from: String
    @Option(name: .long, help: "Target environment.") var to: String
    @Flag(name: .long, help: "Also copy secrets (configuration only without it).") var secrets = false
    @Flag(name: .customLong("dry-run"), help: "Show what would change and stop.") var dryRun = false
    @Argument(help: "The keys to copy.") var keys: [String]

    func run() throws {
        guard !keys.isEmpty else { throw CommandLineFailure("name the keys to promote") }
        let rows = try compare(store, from, to, keys: keys)
        if let missing = keys.first(where: { key in !rows.contains { $0.key == key } }) {
            throw CommandLineFailure("\(missing) exists in neither \(from) nor \(to)")
        }
        if let absent = rows.first(where: { $0.status == .onlyRight }) {
            throw CommandLineFailure("\(absent.key) does not exist in \(from)")
        }
        if !secrets, let secret = rows.first(where: { $0.kind == "secret" && $0.status != .same }) {
            throw CommandLineFailure("\(secret.key) is a secret: add --secrets to promote secrets")
        }
        printDiff(rows, from, to)
        guard !dryRun else { return }
        let source = try store.api(context: .localOperator(environment: try EnvironmentName(from)))
        let target = try store.api(context: .localOperator(environment: try EnvironmentName(to)))
        for row in rows where row.status != .same {
            let read = try source.call(SecretsManager.GetSecretValue.self, GetSecretValueRequest(SecretId: row.key))
            let put = PutSecretValueRequest(SecretId: row.key, SecretBinary: read.SecretBinary, SecretString: read.SecretString)
            if row.status == .onlyLeft {
                let tags = row.kind == "config" ? [Tag(key: TagRules.kindKey, value: TagRules.configKind)] : []
                _ = try target.call(SecretsManager.CreateSecret.self, CreateSecretRequest(
                    Name: row.key, SecretBinary: read.SecretBinary, SecretString: read.SecretString, Tags: tags))
            } else {
                _ = try target.call(SecretsManager.PutSecretValue.self, put)
            }
            Output.line("promoted \(row.key) (\(row.kind)) from \(from) to \(to)")
        }
    }
}

private func compare(_ store: StoreOptions, _ left: String, _ right: String, keys: [String]?) throws -> [DiffRow] {
    let a = try store.api(context: .localOperator(environment: try EnvironmentName(left)))
    let b = try store.api(context: .localOperator(environment: try EnvironmentName(right)))
    return try EnvironmentComparison(left: a, right: b).compare(keys: keys)
}

private func printDiff(_ rows: [DiffRow], _ left: String, _ right: String) {
    func cell(_ row: DiffRow, _ value: String?, present: Bool) -> String {
        guard present else { return "(missing)" }
        if row.kind == "config" { return value ?? "(binary)" }
        switch row.status {
        case .same: return "same"
        case .different: return "different"
        case .onlyLeft, .onlyRight: return "present"
        }
    }
    Output.table(["KEY", "KIND", left.uppercased(), right.uppercased()], rows.map { row in
        [row.key, row.kind, cell(row, row.left, present: row.status != .onlyRight), cell(row, row.right, present: row.status != .onlyLeft)]
    })
}
