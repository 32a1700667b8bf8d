import Foundation
import SejfCore

/// `sejf:hook:<name>`: a command the operator declared in `environments/<env>.yaml`
/// (`rotation.hooks.<name>: [command, args…]`), run once per step with no shell.
///
/// It gets `SEJF_ROTATION_STEP` (`createSecret`, `setSecret`, `testSecret`, `finishSecret`),
/// `SEJF_SECRET_ID` (the ARN), `SEJF_SECRET_NAME`, `SEJF_ROTATION_TOKEN` and `SEJF_ENV` in its
/// environment, and on stdin a JSON object with the `current`, `pending` and `previous` values
/// (absent when there is none). Exit status 0 is success. For `createSecret`, what it prints on
/// stdout (without a final newline) is the new value; if it prints nothing, the new value is a
/// 32-character random password. Its stderr is passed through to Sejf's stderr (never into
/// errors or the audit trail, since it may hold values). Each run is killed after ``timeout``.
public struct HookRotator: Rotator {
    public let name: String
    public let command: [String]
    public var timeout: Double = 60

    public init(name: String, command: [String]) {
        self.name = name
        self.command = command
    }

    public func newValue(_ input: RotationInput) throws -> String {
        let output = try run(.createSecret, input)
        if output.isEmpty { return try RandomRotator(parameters: "").password() }
        return output.hasSuffix("\n") ? String(output.dropLast()) : output
    }

    public func setSecret(_ input: RotationInput) throws { _ = try run(.setSecret, input) }
    public func testSecret(_ input: RotationInput) throws { _ = try run(.testSecret, input) }
    public func finishSecret(_ input: RotationInput) throws { _ = try run(.finishSecret, input) }

    private func run(_ step: RotationStep, _ input: RotationInput) throws -> String {
        guard let executable = command.first else { throw SejfError(.invalidParameter, "Rotation hook '\(name)' has no command.") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SEJF_") && !$0.key.hasPrefix("AWS_") }
        environment["SEJF_ROTATION_STEP"] = step.rawValue
        environment["SEJF_SECRET_ID"] = input.secretARN
        environment["SEJF_SECRET_NAME"] = input.secretName
        environment["SEJF_ROTATION_TOKEN"] = input.token
        environment["SEJF_ENV"] = input.environment.rawValue
        process.environment = environment
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw SejfError(.invalidRequest, "Rotation hook '\(name)' could not start \(executable): \(error.localizedDescription)")
        }
        var values: [String: String] = [:]
        values["current"] = input.current
        values["pending"] = input.pending
        values["previous"] = input.previous
        // A hook that exits without reading stdin must not kill Sejf with SIGPIPE: ignore it (as
        // servers do) and let the write fail instead.
        signal(SIGPIPE, SIG_IGN)
        let payload = (try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])) ?? Data("{}".utf8)
        try? stdin.fileHandleForWriting.write(contentsOf: payload)
        try? stdin.fileHandleForWriting.close()
        final class Box: @unchecked Sendable { var data = Data() }
        let output = Box()
        let reader = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            output.data = stdout.fileHandleForReading.readDataToEndOfFile()
            reader.signal()
        }
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
            reader.wait()
            throw SejfError(.invalidRequest, "Rotation hook '\(name)' did not finish \(step.rawValue) within \(Int(timeout)) seconds.")
        }
        reader.wait()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw SejfError(.invalidRequest, "Rotation hook '\(name)' failed at \(step.rawValue) (exit status \(process.terminationStatus)).")
        }
        guard let text = String(data: output.data, encoding: .utf8) else {
            throw SejfError(.invalidRequest, "Rotation hook '\(name)' printed something that is not UTF-8 at \(step.rawValue).")
        }
        return text
    }
}
