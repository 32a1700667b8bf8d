import ArgumentParser
import Foundation
import SejfCore
import SejfService

/// `sejf role`: the roles bindings give to principals, built-in and the operator's own.
struct RoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role",
        abstract: "List, show, create and delete roles, and list bindings.",
        discussion: """
            A role is a list of rules; each rule allows (or denies) some actions on the secrets whose \
            names match its patterns (and, optionally, that carry some tags). The built-in roles are \
            admin, reader, writer and config-reader. `sejf role create` makes a role of one rule; roles \
            of several rules come from an access file (`sejf apply -f FILE`).

            `sejf bind ROLE --principal P --env ENV` gives a role to a principal in environments; \
            `sejf role bindings` lists who has which role where.
            """,
        subcommands: [List.self, Show.self, Create.self, Delete.self, Bindings.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List roles: built-in ones first, then your own.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let roles = try store.openService().listRoles()
            if store.output == .json { return try Output.json(roles.map { RoleView($0) }) }
            Output.table(["NAME", "BUILT-IN", "RULES", "DESCRIPTION"], roles.map {
                [$0.name, $0.isBuiltIn ? "yes" : "no", String($0.rules.count), $0.description]
            })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a role's rules and the bindings that give it.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Role name.") var name: String

        func run() throws {
            let service = try store.openService()
            let role = try service.role(named: name)
            let bindings = try service.listBindings().filter { $0.role == name }
            if store.output == .json { return try Output.json(RoleView(role, bindings: bindings)) }
            Output.line("Name:        \(role.name)\(role.isBuiltIn ? " (built-in)" : "")")
            if !role.description.isEmpty { Output.line("Description: \(role.description)") }
            Output.line("")
            Output.table(["RULE", "EFFECT", "ACTIONS", "SECRETS", "TAGS"], role.rules.enumerated().flatMap { index, rule in
                ruleRows(number: index + 1, rule)
            })
            Output.line("")
            if bindings.isEmpty {
                Output.line("Bindings: none (give the role with `sejf bind \(role.name) --principal P --env ENV`).")
            } else {
                Output.table(["BINDING", "PRINCIPALS", "ENVIRONMENTS"], bindings.map {
                    [$0.name, $0.principals.joined(separator: ","), $0.environments.joined(separator: ",")]
                })
            }
        }

        /// One line per action, secret pattern or tag condition, the rule's number and effect on
        /// the first.
        private func ruleRows(number: Int, _ rule: AccessRule) -> [[String]] {
            let tags = (rule.tags ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let height = max(rule.actions.count, rule.secrets.count, tags.count, 1)
            return (0..<height).map { line in
                [line == 0 ? String(number) : "", line == 0 ? rule.effect.rawValue : "",
                 line < rule.actions.count ? rule.actions[line] : "",
                 line < rule.secrets.count ? rule.secrets[line] : "",
                 line < tags.count ? tags[line] : (line == 0 ? "-" : "")]
            }
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a role of one rule.",
            discussion: """
                Example: sejf role create db-reader --actions GetSecretValue,DescribeSecret --secrets 'db/*'

                Actions are Secrets Manager operations (secretsmanager: may be left out) with * and ? \
                wildcards, or *. Secret patterns match names (db/* matches db/a and db/a/b) or, starting \
                with arn:, ARNs. With --tag, the rule matches only secrets carrying every given tag. \
                For a role of several rules, or to change a role, use `sejf apply -f FILE`.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "Name: 1-64 lower-case letters, digits or '-'.") var name: String

        @Option(name: .long, help: ArgumentHelp("Actions, comma-separated (or repeat the option).", valueName: "action,…"))
        var actions: [String] = []

        @Option(name: .long, help: ArgumentHelp("Secret name or ARN patterns, comma-separated (or repeat the option).", valueName: "pattern,…"))
        var secrets: [String] = []

        @Flag(name: .long, help: "Deny these actions instead of allowing them (a deny beats every allow).")
        var deny = false

        @Option(name: .customLong("tag"), help: ArgumentHelp("Match only secrets with this tag (repeatable).", valueName: "key=value"))
        var tags: [String] = []

        @Option(name: .long, help: "What the role is for.")
        var description: String = ""

        func run() throws {
            let actions = splitList(actions).map(AccessNames.qualified)
            let secrets = splitList(secrets)
            guard !actions.isEmpty else { throw CommandLineFailure("give the role's actions with --actions, such as --actions GetSecretValue,DescribeSecret") }
            guard !secrets.isEmpty else { throw CommandLineFailure("give the secrets the role covers with --secrets, such as --secrets 'db/*'") }
            var conditions: [String: String] = [:]
            for tag in try parseTags(tags) {
                guard conditions.updateValue(tag.value, forKey: tag.key) == nil else { throw CommandLineFailure("the tag '\(tag.key)' is given twice") }
            }
            let role = AccessRole(name: name, description: description, rules: [
                AccessRule(effect: deny ? .deny : .allow, actions: actions, secrets: secrets, tags: conditions.isEmpty ? nil : conditions),
            ])
            let service = try store.openService()
            if let existing = try service.listRoles().first(where: { $0.name == name }), !existing.isBuiltIn {
                throw SejfError(.resourceExists, "A role named \(name) already exists; change it with `sejf apply -f FILE`, or delete it first.")
            }
            try service.saveRole(role)
            if store.output == .json { return try Output.json(RoleView(role)) }
            Output.line("Created role \(name); give it with `sejf bind \(name) --principal P --env ENV`.")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a role of your own (refused while a binding gives it).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Role name.") var name: String

        func run() throws {
            try store.openService().deleteRole(named: name)
            if store.output == .text { Output.line("Deleted role \(name).") }
        }
    }

    struct Bindings: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bindings",
            abstract: "List bindings: which role each gives to which principals in which environments.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Only the bindings of this role.") var role: String?
        @Option(name: .long, help: "Only the bindings that name this principal (or '*').") var principal: String?

        func run() throws {
            let service = try store.openService()
            if let role { _ = try service.role(named: role) }
            let bindings = try service.listBindings().filter { binding in
                (role.map { binding.role == $0 } ?? true) && (principal.map { binding.principals.contains($0) } ?? true)
            }
            if store.output == .json { return try Output.json(bindings) }
            Output.table(["NAME", "ROLE", "PRINCIPALS", "ENVIRONMENTS"], bindings.map {
                [$0.name, $0.role, $0.principals.joined(separator: ","), $0.environments.joined(separator: ",")]
            })
        }
    }
}

/// A role as `--output json` prints it: its access-file encoding, whether it is built in, and (for
/// `role show`) its bindings.
struct RoleView: Encodable {
    var name: String
    var description: String
    var builtIn: Bool
    var rules: [AccessRule]
    var bindings: [AccessBinding]?

    init(_ role: AccessRole, bindings: [AccessBinding]? = nil) {
        name = role.name
        description = role.description
        builtIn = role.isBuiltIn
        rules = role.rules
        self.bindings = bindings
    }
}

/// `a,b` and repeated options as one list, without empty items.
func splitList(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) } }
        .filter { !$0.isEmpty }
}
