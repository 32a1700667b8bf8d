import ArgumentParser
import Foundation
import SejfCore
import SejfService

/// `sejf can-i`: would a principal be allowed an action on a secret, and what decides it.
struct CanICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "can-i",
        abstract: "Check whether a principal may do something.",
        discussion: """
            Examples: sejf can-i GetSecretValue db/credentials --as api-prod --env prod
                      sejf can-i ListSecrets - --as auditor --env prod

            Prints yes or no, then what decided: the role, binding and rule, or the resource policy \
            statement, that allowed or denied it. The exit status is 0 for yes and 1 for no, as for \
            `kubectl auth can-i`. The answer applies role bindings and the secret's resource policy; \
            without --source-ip, policy conditions on aws:SourceIp do not match.
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: "An operation, such as GetSecretValue or secretsmanager:GetSecretValue.")
    var action: String

    @Argument(help: "Secret name or ARN, or - for the actions not about one secret (ListSecrets, GetRandomPassword, BatchGetSecretValue).")
    var secret: String

    @Option(name: .customLong("as"), help: ArgumentHelp("The principal (default: the local operator, \(Principal.localOperator.name)).", valueName: "principal"))
    var principal: String?

    @OptionGroup var environment: EnvironmentOption

    @Option(name: .customLong("source-ip"), help: ArgumentHelp("The client's address, for aws:SourceIp conditions of resource policies.", valueName: "ip"))
    var sourceIp: String?

    func run() throws {
        let environment = try environment.context().environment
        let principal = principal ?? Principal.localOperator.name
        if let sourceIp, !isIPAddress(sourceIp) {
            throw CommandLineFailure("--source-ip '\(sourceIp.prefix(64))' is not an IPv4 or IPv6 address")
        }
        let service = try store.openService()
        guard try service.listPrincipals().contains(where: { $0.name == principal }) else {
            throw SejfError(.resourceNotFound, "No principal named \(principal).")
        }
        let answer = try service.canI(principal: principal, action: action, secret: try secretArgument(secret, action: action),
                                      environment: environment, sourceIp: sourceIp)
        if store.output == .json {
            try Output.json(answer)
        } else {
            Output.line("\(answer.allowed ? "yes" : "no") — \(answer.reason)")
        }
        if !answer.allowed { throw ExitCode(1) }
    }

    private func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}

/// The SECRET argument of `can-i` and `who-can`: `-` (no secret) only for the actions that are
/// not about one secret.
func secretArgument(_ secret: String, action: String) throws -> String? {
    guard secret == "-" else { return secret }
    let qualified = AccessNames.qualified(action).lowercased()
    guard qualified == "*" || AccessControl.accountLevelActions.contains(where: { $0.lowercased() == qualified }) else {
        throw CommandLineFailure("\(action) is about one secret: name it (- is for ListSecrets, GetRandomPassword and BatchGetSecretValue)")
    }
    return nil
}
