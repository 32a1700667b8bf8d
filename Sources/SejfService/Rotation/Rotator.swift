import Foundation
import SejfCore

/// The four steps of AWS's rotation protocol, in order. A rotation persists the step it reached,
/// so one interrupted (the process killed) resumes there on the next attempt.
public enum RotationStep: String, Sendable, Codable, CaseIterable, Comparable {
    case createSecret, setSecret, testSecret, finishSecret

    public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// What a rotator is given for one step: the secret, the rotation's token (the pending version's
/// id), and the string values of its `AWSCURRENT`, `AWSPENDING` and `AWSPREVIOUS` versions.
///
/// For a rollback, `pending` is the value being restored (the `AWSPREVIOUS` version) and
/// `setSecret` is asked to make the target system agree with it.
public struct RotationInput: Sendable {
    public var secretARN: String
    public var secretName: String
    public var environment: EnvironmentName
    public var token: String
    public var current: String?
    public var pending: String?
    public var previous: String?
    /// Reads another secret's current string value through the API, as the rotation's principal
    /// (authorized and audited like any read): the master secret named by `masterarn`.
    public var readSecret: @Sendable (String) throws -> String

    public init(secretARN: String, secretName: String, environment: EnvironmentName, token: String, current: String?,
                pending: String?, previous: String?, readSecret: @escaping @Sendable (String) throws -> String) {
        self.secretARN = secretARN
        self.secretName = secretName
        self.environment = environment
        self.token = token
        self.current = current
        self.pending = pending
        self.previous = previous
        self.readSecret = readSecret
    }
}

/// One rotation strategy, named in `RotationLambdaARN` (`sejf:random`, `sejf:postgres-single-user`,
/// …). The engine moves the staging labels and persists progress; a rotator only computes the new
/// value and makes the outside world agree with it. Every step must be idempotent: after a crash
/// the engine repeats the step it had reached.
///
/// Errors are thrown as `SejfError` with a message naming what failed (never a value).
public protocol Rotator: Sendable {
    /// `createSecret`: the value of the new version, from the current one.
    func newValue(_ input: RotationInput) throws -> String
    /// `setSecret`: makes the target system accept `input.pending` (e.g. `ALTER ROLE … PASSWORD`).
    func setSecret(_ input: RotationInput) throws
    /// `testSecret`: proves `input.pending` works (e.g. logs in with it).
    func testSecret(_ input: RotationInput) throws
    /// `finishSecret`, after the labels moved: anything to tidy up. Most rotators do nothing.
    func finishSecret(_ input: RotationInput) throws
}

extension Rotator {
    public func finishSecret(_ input: RotationInput) throws {}
}
