/// `AccessFile.swift` (linked here from the `sejf` command's sources, which another package cannot
/// import) throws the command line's error type; this is its shape in `Sources/sejf/SejfCommand.swift`.
struct CommandLineFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
