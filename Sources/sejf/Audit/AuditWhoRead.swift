import ArgumentParser
import SejfCore
import SejfService

extension AuditCommand {
    /// `sejf audit who-read`: who read which secret's value, how often, and when last.
    struct WhoRead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "who-read",
            abstract: "Who read which secret values in an environment: principal, secret, reads, last read.",
            discussion: "Counts allowed GetSecretValue and BatchGetSecretValue reads. Example: sejf audit who-read --env prod --since 7d")

        @OptionGroup var environment: EnvironmentOption
        @OptionGroup var store: AuditDataOptions

        @Option(name: .long, help: ArgumentHelp("Count reads at or after this time: a duration (24h, 7d) or a date.", valueName: "time"))
        var since: String = "30d"

        @Option(name: .long, help: "Output format: table (or text), or json.")
        var output: AuditOutputFormat = .table

        func run() throws {
            let bound = try AuditTimeBound.parse(since, now: AuditText.now)
            let service = try store.openService()
            let rows = try service.whoRead(environment: try AuditText.existingEnvironment(environment, in: service), since: bound)
            if output.isJSON {
                return try Output.json(rows.map {
                    ReadJSON(principal: $0.principal, secretArn: $0.secretArn, name: AuditText.secretName(ofArn: $0.secretArn),
                             reads: $0.count, lastRead: $0.lastRead)
                })
            }
            Output.table(["PRINCIPAL", "SECRET", "READS", "LAST READ"], rows.map {
                [$0.principal, AuditText.secretName(ofArn: $0.secretArn), String($0.count), $0.lastRead.iso8601]
            })
        }
    }
}

/// One row of `sejf audit who-read --output json`.
private struct ReadJSON: Encodable {
    var principal: String
    var secretArn: String
    var name: String
    var reads: Int
    var lastRead: AuditTime
}
