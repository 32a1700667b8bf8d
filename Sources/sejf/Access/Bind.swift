import ArgumentParser
import SejfCore
import SejfService

/// `sejf bind`: gives a role to one principal in some environments.
struct BindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bind",
        abstract: "Give a role to a principal in environments.",
        discussion: """
            Example: sejf bind reader --principal api-dev --env dev,staging

            The binding is named ROLE-PRINCIPAL; binding again adds environments to it. \
            `sejf role bindings` lists every binding, `sejf unbind` takes a role away, and bindings \
            of several principals come from an access file (`sejf apply -f FILE`).
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "Role name (see `sejf role list`).") var role: String
    @Option(name: .long, help: "Principal name (see `sejf principal list`).") var principal: String
    @OptionGroup var environments: EnvironmentListOption

    func run() throws {
        let service = try store.openService()
        let environments = try environments.resolve(service)
        guard !environments.isEmpty else {
            throw CommandLineFailure("give the environments with --env, such as --env dev,staging (or --env '*' for all)")
        }
        _ = try service.role(named: role)
        let binding = try service.bind(role: role, principal: principal, environments: environments)
        if store.output == .json { return try Output.json(binding) }
        Output.line("\(principal) has role \(role) in \(describe(binding.environments)) (binding \(binding.name)).")
    }
}

/// `sejf unbind`: takes a role from one principal, in some environments or all.
struct UnbindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unbind",
        abstract: "Take a role from a principal, in some environments or (without --env) in all.",
        discussion: """
            Example: sejf unbind reader --principal api-dev --env staging

            Refused, changing nothing, when taking some environments would also change what other \
            principals of the same binding have, or when the binding covers every environment ('*'): \
            edit such bindings in an access file, or unbind without --env and bind again.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "Role name.") var role: String
    @Option(name: .long, help: "Principal name.") var principal: String
    @OptionGroup var environments: EnvironmentListOption

    func run() throws {
        let service = try store.openService()
        var environments = try environments.resolve(service)
        if environments.contains("*") { environments = [] }
        let matching = try service.listBindings().filter { $0.role == role && $0.principals.contains(principal) }
        if !environments.isEmpty, !matching.isEmpty {
            for binding in matching where !Set(binding.environments).isSubset(of: environments) {
                if binding.environments.contains("*") {
                    throw CommandLineFailure("binding \(binding.name) gives \(role) to \(principal) in every environment ('*'): unbind without --env, then bind the environments to keep")
                }
                let others = binding.principals.filter { $0 != principal }
                if !others.isEmpty, binding.environments.contains(where: environments.contains) {
                    throw CommandLineFailure("binding \(binding.name) also gives \(role) to \(others.joined(separator: ", ")), who would lose these environments too: edit it in an access file (`sejf apply`), or unbind without --env")
                }
            }
            guard matching.contains(where: { $0.environments.contains(where: environments.contains) }) else {
                let has = Array(Set(matching.flatMap(\.environments))).sorted()
                throw CommandLineFailure("\(principal) has role \(role) only in \(has.joined(separator: ", ")); nothing to take in \(environments.joined(separator: ", "))")
            }
        }
        try service.unbind(role: role, principal: principal, environments: environments)
        if store.output == .text {
            Output.line("Took role \(role) from \(principal) in \(describe(environments.isEmpty ? ["*"] : environments)).")
        }
    }
}

/// `--env dev,staging` of `bind` and `unbind`: environments of the data directory, or `*`.
struct EnvironmentListOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Environments, comma-separated (or repeat --env); '*' for every environment, present and future.", valueName: "env,…"))
    var env: [String] = []

    /// The environments given, without duplicates, each `*` or an existing environment.
    func resolve(_ service: SecretsService) throws -> [String] {
        var names: [String] = []
        for name in splitList(env) where !names.contains(name) { names.append(name) }
        guard names.contains(where: { $0 != "*" }) else { return names }
        let existing = try service.listEnvironments().map(\.name)
        for name in names where name != "*" && !existing.contains(name) {
            throw CommandLineFailure("unknown environment '\(name.prefix(64))' (environments: \(existing.sorted().joined(separator: ", ")))")
        }
        return names
    }
}

/// `dev, staging`, or `every environment` for `*`.
private func describe(_ environments: [String]) -> String {
    environments.contains("*") ? "every environment" : environments.joined(separator: ", ")
}
