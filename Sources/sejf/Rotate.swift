import ArgumentParser
import Foundation
import SejfCore
import SejfService

/// `sejf rotate`: rotate secrets now, by name, or every secret that would come due within a
/// period (before a release freeze), listing them first.
struct RotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate secrets now: by name, or all that come due within a period (--due-within 7d).",
        discussion: """
            sejf rotate db/credentials --env prod rotates now with the configured rotator (resuming an unfinished rotation). \
            sejf rotate --env prod --due-within 7d --dry-run lists the secrets whose rotation comes due in the next 7 days; \
            without --dry-run it rotates them, one at a time, and exits 1 if any failed (the others still rotate).
            """)

    @OptionGroup var environment: EnvironmentOption
    @OptionGroup var store: StoreOptions

    @Argument(help: "Secrets to rotate now (names or ARNs).")
    var names: [String] = []

    @Option(name: .customLong("due-within"), help: ArgumentHelp("Also every secret whose next rotation falls within this period, e.g. 7d.", valueName: "duration"))
    var dueWithin: String?

    @Flag(name: .customLong("dry-run"), help: "List what would rotate and stop.")
    var dryRun = false

    func validate() throws {
        guard !names.isEmpty || dueWithin != nil else { throw ValidationError("name secrets to rotate, or give --due-within") }
    }

    func run() throws {
        let api = try store.api(environment)
        var targets = names.map { (name: $0, next: nil as Double?) }
        if let dueWithin {
            let horizon = Date().timeIntervalSince1970 + Double(try AuditTimeBound.parseDuration(dueWithin)) / 1000
            targets += try Self.dueSecrets(api, by: horizon).filter { entry in !names.contains(entry.name) }
        }
        if dryRun || (dueWithin != nil && store.output == .text) {
            Output.table(["SECRET", "NEXT ROTATION"], targets.map { [$0.name, $0.next.map(Output.date) ?? "now (named)"] })
        }
        if dryRun { return }
        var results: [RotationResponse] = []
        var failures: [String] = []
        for target in targets {
            do {
                let response = try api.call(SecretsManager.RotateSecret.self, RotateSecretRequest(SecretId: target.name))
                results.append(response)
                if store.output == .text { Output.line("rotated \(response.Name): version \(response.VersionId ?? "-") is AWSCURRENT") }
            } catch {
                let message = CommandLineText.describe(error) ?? "\(error)"
                failures.append("\(target.name): \(message)")
                Output.note("sejf: error: \(target.name): \(message)")
            }
        }
        if store.output == .json { try Output.json(results) }
        if !failures.isEmpty { throw CommandLineFailure("\(failures.count) of \(targets.count) rotations failed") }
    }

    /// Secrets with rotation on whose next rotation is at or before `horizon` (ListSecrets).
    static func dueSecrets(_ api: any SecretsAPI, by horizon: Double) throws -> [(name: String, next: Double?)] {
        var due: [(name: String, next: Double?)] = []
        var token: String?
        repeat {
            let page = try api.call(SecretsManager.ListSecrets.self, ListSecretsRequest(NextToken: token))
            for entry in page.SecretList where entry.RotationEnabled == true {
                if let next = entry.NextRotationDate, next <= horizon { due.append((entry.Name, next)) }
            }
            token = page.NextToken
        } while token != nil
        return due.sorted { ($0.next ?? 0, $0.name) < ($1.next ?? 0, $1.name) }
    }
}

/// `sejf rollback`: make `AWSPREVIOUS` current again, through the rotator.
struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Make a secret's AWSPREVIOUS version current again, re-applied through its rotator first.",
        discussion: "sejf rollback db/credentials --env prod: the rotator's setSecret and testSecret make the database accept the previous password before AWSCURRENT moves back.")

    @OptionGroup var target: SecretTarget

    func run() throws {
        let response = try target.api().call(SejfOperations.RollbackSecret.self, SecretIdRequest(SecretId: target.name))
        if target.store.output == .json { return try Output.json(response) }
        Output.line("rolled back \(response.Name): version \(response.VersionId ?? "-") is AWSCURRENT again")
    }
}
