import ArgumentParser
import SejfCore
import SejfService

/// `sejf who-can`: the principals a request would be allowed for.
struct WhoCanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "who-can",
        abstract: "List the principals that may do something.",
        discussion: """
            Example: sejf who-can GetSecretValue db/credentials --env prod

            One principal per line (with --output json, an array of names), decided as `sejf can-i` \
            decides for each principal: role bindings and the secret's resource policy, without a \
            source address.
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: "An operation, such as GetSecretValue or secretsmanager:GetSecretValue.")
    var action: String

    @Argument(help: "Secret name or ARN, or - for the actions not about one secret (ListSecrets, GetRandomPassword, BatchGetSecretValue).")
    var secret: String

    @OptionGroup var environment: EnvironmentOption

    func run() throws {
        let environment = try environment.context().environment
        let principals = try store.openService().whoCan(action: action, secret: try secretArgument(secret, action: action),
                                                       environment: environment)
        if store.output == .json { return try Output.json(principals) }
        for principal in principals { Output.line(principal) }
    }
}
