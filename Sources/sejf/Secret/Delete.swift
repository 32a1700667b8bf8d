import ArgumentParser
import SejfService

extension SecretCommand {
    /// `sejf secret delete`: DeleteSecret.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Schedule a secret for deletion after a recovery window (7-30 days, default 30), or delete it now with --force.")

        @OptionGroup var target: SecretTarget

        @Option(name: .customLong("recovery-days"), help: "Recovery window in days (7-30).")
        var recoveryDays: Int?

        @Flag(name: .long, help: "Delete now, without recovery.")
        var force = false

        func run() throws {
            let response = try target.api().call(SecretsManager.DeleteSecret.self, DeleteSecretRequest(
                SecretId: target.name, RecoveryWindowInDays: recoveryDays, ForceDeleteWithoutRecovery: force ? true : nil))
            if target.store.output == .json { return try Output.json(response) }
            Output.line(force ? "Deleted \(response.ARN)." : "\(response.ARN) will be deleted at \(Output.date(response.DeletionDate)); `sejf secret restore` cancels.")
        }
    }

    /// `sejf secret restore`: RestoreSecret.
    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "restore", abstract: "Cancel a scheduled deletion.")

        @OptionGroup var target: SecretTarget

        func run() throws {
            let response = try target.api().call(SecretsManager.RestoreSecret.self, SecretIdRequest(SecretId: target.name))
            if target.store.output == .json { return try Output.json(response) }
            Output.line("Restored \(response.ARN).")
        }
    }
}
