import ArgumentParser
import SejfCore
import SejfService

extension AuditCommand {
    /// `sejf audit stale`: secrets nobody read lately — candidates for removal.
    struct Stale: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stale",
            abstract: "List the secrets of an environment whose value nobody read in the last N days.",
            discussion: "Example: sejf audit stale --env prod --days 90. Reads before a prune are not known: prune less than the period you ask about.")

        @OptionGroup var environment: EnvironmentOption
        @OptionGroup var store: AuditDataOptions

        @Option(name: .long, help: "The period, in days.")
        var days: Int = 90

        @Option(name: .long, help: "Output format: table (or text), or json.")
        var output: AuditOutputFormat = .table

        func validate() throws {
            guard (1...3_650_000).contains(days) else { throw ValidationError("--days must be between 1 and 3650000") }
        }

        func run() throws {
            let since = try AuditTimeBound.parse("\(days)d", now: AuditText.now)
            let service = try store.openService()
            let stale = try service.staleSecrets(environment: try AuditText.existingEnvironment(environment, in: service), since: since)
            if output.isJSON { return try Output.json(stale) }
            Output.table(["SECRET", "LAST READ"], stale.map { [$0.name, $0.lastRead?.iso8601 ?? "never"] })
        }
    }
}
