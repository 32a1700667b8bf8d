import ArgumentParser
import Foundation
import SejfService

extension SecretCommand {
    /// `sejf secret rotation set|cancel`: RotateSecret's settings and CancelRotateSecret.
    struct Rotation: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotation",
            abstract: "Configure or cancel a secret's rotation (rotator and schedule).",
            subcommands: [Set.self, Cancel.self])

        struct Set: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set",
                abstract: "Set the rotator and schedule, turning automatic rotation on (RotateSecret).",
                discussion: """
                    Rotators: sejf:random[?keys=password&length=32…], sejf:postgres-single-user, \
                    sejf:postgres-alternating-users, sejf:hook:NAME (declared in environments/<env>.yaml). \
                    Example: sejf secret rotation set db/credentials --env prod --rotator sejf:postgres-single-user \
                    --schedule 'rate(30 days)' --window 2h. Rotates once now unless --no-rotate-now.
                    """)
            @OptionGroup var target: SecretTarget
            @Option(name: .long, help: "The rotator (RotationLambdaARN).") var rotator: String?
            @Option(name: .long, help: ArgumentHelp("rate(N hours|days) or cron(…), as AWS's ScheduleExpression.", valueName: "expr"))
            var schedule: String?
            @Option(name: .long, help: ArgumentHelp("Rotate every N days (AutomaticallyAfterDays, 1–1000).", valueName: "N"))
            var days: Int?
            @Option(name: .long, help: ArgumentHelp("The rotation window (Duration), e.g. 2h.", valueName: "hours"))
            var window: String?
            @Flag(name: .customLong("no-rotate-now"), help: "Only store the settings; the first rotation comes on schedule.")
            var noRotateNow = false

            func run() throws {
                let rules = schedule == nil && days == nil && window == nil ? nil
                    : RotationRulesShape(AutomaticallyAfterDays: days, Duration: window, ScheduleExpression: schedule)
                let response = try target.api().call(SecretsManager.RotateSecret.self, RotateSecretRequest(
                    SecretId: target.name, RotationLambdaARN: rotator, RotationRules: rules, RotateImmediately: !noRotateNow))
                if target.store.output == .json { return try Output.json(response) }
                Output.line(response.VersionId.map { "rotated \(response.Name): version \($0) is AWSCURRENT" }
                            ?? "rotation of \(response.Name) configured")
            }
        }

        struct Cancel: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "cancel",
                abstract: "Turn automatic rotation off and abandon an unfinished rotation (CancelRotateSecret).")
            @OptionGroup var target: SecretTarget

            func run() throws {
                let response = try target.api().call(SecretsManager.CancelRotateSecret.self, SecretIdRequest(SecretId: target.name))
                if target.store.output == .json { return try Output.json(response) }
                Output.line("rotation of \(response.Name) cancelled")
            }
        }
    }
}
