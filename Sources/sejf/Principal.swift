import ArgumentParser
import SejfService

/// `sejf principal`: users and service accounts that sign requests to `sejf server`.
struct PrincipalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "principal", abstract: "Create, list and delete principals (users and service accounts).",
        subcommands: [Create.self, List.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a principal.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Name: 1-64 letters, digits or +=,.@_-.") var name: String
        @Option(name: .long, help: "What it is for.") var description: String = ""

        func run() throws {
            try store.openService().createPrincipal(name: name, description: description)
            if store.output == .text { Output.line("Created principal \(name); give it a key with `sejf key create \(name)`.") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List principals.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let principals = try store.openService().listPrincipals()
            if store.output == .json { return try Output.json(principals) }
            Output.table(["NAME", "KEYS", "CREATED", "DESCRIPTION"], principals.map {
                [$0.name, String($0.accessKeys), Output.date($0.createdDate), $0.description]
            })
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a principal and its access keys (they stop working at once).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Name.") var name: String

        func run() throws {
            try store.openService().deletePrincipal(name: name)
        }
    }
}

/// `sejf key`: SigV4 access keys of principals, and the environments' key-encryption keys.
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Access keys of principals (create, list, revoke, activate, delete) and environment encryption keys (rotate, retire, kek-list).",
        discussion: """
            create, list, revoke, activate and delete manage the SigV4 access keys principals sign \
            requests with (at most 2 per principal). rotate, retire and kek-list manage something \
            else: an environment's key-encryption keys (KEKs), which wrap the data key of every \
            secret version of that environment.
            """,
        subcommands: [Create.self, List.self, Revoke.self, Activate.self, Delete.self,
                      RotateKEK.self, RetireKEK.self, ListKEKs.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an access key; its secret is shown only now.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Principal name.") var principal: String

        func run() throws {
            let key = try store.openService().createAccessKey(for: principal)
            if store.output == .json { return try Output.json(key) }
            Output.line("AccessKeyId:     \(key.AccessKeyId)")
            Output.line("SecretAccessKey: \(key.SecretAccessKey)")
            Output.line("The secret is not stored in clear and cannot be shown again.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List access keys (never their secrets).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Principal name (default: all).") var principal: String?

        func run() throws {
            let keys = try store.openService().listAccessKeys(of: principal)
            if store.output == .json { return try Output.json(keys) }
            Output.table(["ACCESS KEY ID", "PRINCIPAL", "STATUS", "CREATED", "LAST USED"], keys.map {
                [$0.AccessKeyId, $0.Principal, $0.Status, Output.date($0.CreateDate), Output.date($0.LastUsedDate)]
            })
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Deactivate an access key: its next request is refused.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Access key id.") var id: String

        func run() throws { try store.openService().setAccessKeyStatus(id, active: false) }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "activate", abstract: "Reactivate a revoked access key.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Access key id.") var id: String

        func run() throws { try store.openService().setAccessKeyStatus(id, active: true) }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete an access key.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Access key id.") var id: String

        func run() throws { try store.openService().deleteAccessKey(id) }
    }
}
