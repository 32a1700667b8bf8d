import ArgumentParser
import Foundation
import SejfCore
import SejfService

/// `sejf apply -f FILE`: principals, roles and bindings from an access file, all or nothing.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Create or update principals, roles and bindings from an access file.",
        discussion: """
            Example: sejf apply -f examples/access.yaml

            The file is YAML (or JSON), as schemas/access.schema.json describes:

              principals: [{name, description}]
              roles:      [{name, description, rules}]
                rules:    [{effect, actions, secrets, tags}]
              bindings:   [{name, role, principals, environments}]

            A file that does not match is refused as a whole, naming the file, line and field. \
            Otherwise everything is applied in one transaction and each object is reported as \
            created, updated or unchanged; nothing absent from the file is removed, and applying the \
            same file again changes nothing. An existing principal is left as it is (its description \
            included).
            """)

    @OptionGroup var store: StoreOptions

    @Option(name: [.customShort("f"), .customLong("filename")], help: ArgumentHelp("The access file, or - for stdin.", valueName: "file"))
    var file: String

    func run() throws {
        let label = file == "-" ? "<stdin>" : file
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else { throw CommandLineFailure("cannot read \(file)") }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CommandLineFailure("\(label): not UTF-8 text") }

        let service = try store.openService()
        let existing = AccessFile.Existing(roles: Set(try service.listRoles().map(\.name)),
                                           principals: Set(try service.listPrincipals().map(\.name)),
                                           environments: Set(try service.listEnvironments().map(\.name)))
        let document = try AccessFile.parse(text, file: label, existing: existing)
        let changes: [AccessChange]
        do {
            changes = try service.apply(document)
        } catch let error as SejfError {
            throw SejfError(error.code, "\(label): \(error.message)")
        }
        if store.output == .json { return try Output.json(changes) }
        for change in changes { Output.line("\(change.object) \(change.name) \(change.change.rawValue)") }
    }
}
