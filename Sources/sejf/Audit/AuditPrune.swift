import ArgumentParser
import SejfCore
import SejfService

extension AuditCommand {
    /// `sejf audit prune`: deletes old events, keeping a checkpoint so the rest still verifies.
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Delete audit events older than a time, keeping a checkpoint so the rest still verifies.",
            discussion: """
                Refused when the chain does not verify. Prints the checkpoint kept (one JSON line). \
                Example: sejf audit prune --before 400d
                """)

        @OptionGroup var store: AuditDataOptions

        @Option(name: .long, help: ArgumentHelp("Delete events before this time: a duration back from now (400d, 52w) or a date (2026-01-01).", valueName: "time"))
        var before: String

        @Option(name: .long, help: "Output format: table (or text), or json (the checkpoint, or null).")
        var output: AuditOutputFormat = .table

        func run() throws {
            let now = AuditText.now
            let cutoff = try AuditTimeBound.parse(before, now: now)
            guard cutoff <= now else {
                throw CommandLineFailure("--before \(before) is in the future (\(cutoff)); it would delete the whole trail")
            }
            let checkpoint = try store.openService().pruneAudit(before: cutoff)
            if output.isJSON { return try Output.json(checkpoint) }
            guard let checkpoint else {
                return Output.line("Nothing to prune: no event before \(cutoff).")
            }
            Output.line("Pruned events through \(checkpoint.sequence); checkpoint kept: \(AuditExport.line(checkpoint))")
        }
    }
}
