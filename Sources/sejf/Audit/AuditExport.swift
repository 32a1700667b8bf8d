import ArgumentParser
import SejfCore
import SejfService

extension AuditCommand {
    /// `sejf audit export`: the events as JSON Lines, oldest first (`schemas/audit-event.schema.json`).
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write audit events to stdout as JSON Lines, oldest first.",
            discussion: """
                Each line holds every field the chain hash covers, plus sequence and hash, so an \
                export can be verified against the audit key without the database. \
                Example: sejf audit export --format jsonl --env prod --since 7d > prod-week.jsonl
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl }

        @Option(name: .long, help: "Export format.")
        var format: Format = .jsonl

        @OptionGroup var filters: AuditFilterOptions
        @OptionGroup var store: AuditDataOptions

        func run() throws {
            let selection = try filters.selection(now: AuditText.now)
            let service = try store.openService()
            var out = BufferedLines()
            var failure: (any Error)?
            try service.exportAudit(matching: selection.filter) { line in
                guard failure == nil else { return }
                if selection.secretName != nil {
                    // Names are matched on the ARN, which the line carries: decode it back.
                    do {
                        guard selection.matches(try AuditExport.event(fromLine: line)) else { return }
                    } catch {
                        failure = error
                        return
                    }
                }
                out.append(line)
            }
            out.flush()
            if let failure { throw failure }
        }
    }
}
