import ArgumentParser
import Foundation
import SejfAWS
import SejfCore

/// `sejf`: the Sejf command line. Every command is a thin layer over `SejfService`.
@main
struct SejfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sejf",
        abstract: "Encrypted per-environment secrets and configuration, with the AWS Secrets Manager API.",
        subcommands: [Init.self, SecretCommand.self, ConfigCommand.self, EnvCommand.self, Server.self,
                      PrincipalCommand.self, KeyCommand.self, RoleCommand.self, BindCommand.self, UnbindCommand.self,
                      ApplyCommand.self, CanICommand.self, WhoCanCommand.self, AuditCommand.self, RenderCommand.self,
                      RunCommand.self, DiffCommand.self, PromoteCommand.self, RotateCommand.self, RollbackCommand.self,
                      BackupCommand.self, RestoreCommand.self, HealthcheckCommand.self]
    )

    /// Runs a command, printing any failure as one line on stderr with a non-zero exit status.
    static func main() async {
        ProcessHardening.disableCoreDumps()
        do {
            try CommandLineText.requireValidUTF8Arguments()
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error where CommandLineText.describe(error) != nil {
            CommandLineText.fail(CommandLineText.describe(error)!)
        } catch {
            exit(withError: error)
        }
    }
}

/// A CLI-side failure (bad flags, unreadable files) with a one-line message.
struct CommandLineFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

enum CommandLineText {
    /// The one-line message of an error Sejf raised (`Code: message`); nil for the argument
    /// parser's own errors, help and exit codes.
    static func describe(_ error: any Error) -> String? {
        switch error {
        case let error as SejfError: "\(error.code.rawValue): \(error.message)"
        case let error as CommandLineFailure: error.message
        case let error as AWSWireError: "\(error.code): \(error.message)"
        default: nil
        }
    }

    static func fail(_ message: String) -> Never {
        let line = "sejf: error: " + message.replacingOccurrences(of: "\n", with: " ") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
        exit(1)
    }

    /// Swift repairs invalid UTF-8 in arguments with U+FFFD, which would silently change a secret
    /// value: refuse such arguments instead.
    static func requireValidUTF8Arguments() throws {
        for index in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw))
            if String(validating: bytes, as: UTF8.self) == nil {
                throw CommandLineFailure("argument \(index) is not valid UTF-8; pass binary values with --binary-file")
            }
        }
    }
}

/// Process-wide protections for key material.
enum ProcessHardening {
    /// No core files: a crash must not write keys or values to disk. (libsodium also marks its
    /// guarded allocations `MADV_DONTDUMP`.) Children, such as `sejf run`'s command, inherit the limit.
    static func disableCoreDumps() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
    }
}
