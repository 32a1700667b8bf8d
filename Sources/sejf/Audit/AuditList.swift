import ArgumentParser
import SejfCore
import SejfService

extension AuditCommand {
    /// `sejf audit list`: the newest events matching the filters.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List audit events, newest first.",
            discussion: "Example: sejf audit list --env prod --secret db/credentials --outcome denied --since 24h")

        @OptionGroup var filters: AuditFilterOptions
        @OptionGroup var store: AuditDataOptions

        @Option(name: .long, help: "Show at most this many events.")
        var limit: Int = 100

        @Option(name: .long, help: "Output format: table (or text), or json (an array of export objects).")
        var output: AuditOutputFormat = .table

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let selection = try filters.selection(now: AuditText.now)
            let events = try selection.newestEvents(try store.openService(), limit: limit)
            if output.isJSON { return try Output.json(events) }
            Output.table(["SEQ", "TIME", "ENV", "PRINCIPAL", "ACTION", "SECRET", "VERSION", "OUTCOME", "SOURCE"], events.map { stored in
                let event = stored.event
                let action = event.action.hasPrefix("secretsmanager:") ? String(event.action.dropFirst("secretsmanager:".count)) : event.action
                return [String(stored.sequence), event.time.iso8601, event.environment, event.principal.isEmpty ? "-" : event.principal,
                        action, event.secretArn.map(AuditText.secretName(ofArn:)) ?? "-", event.versionId ?? "-",
                        event.errorCode.map { "\(event.outcome.rawValue) (\($0))" } ?? event.outcome.rawValue, event.sourceAddress]
            })
        }
    }
}
