import ArgumentParser

// Skeleton: implemented in this folder.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Query and verify the audit trail.")
}
