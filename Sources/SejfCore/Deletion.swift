/// The rules of `DeleteSecret`: a recovery window of 7–30 days (30 by default) or an immediate,
/// unrecoverable purge.
public enum DeletionRequest: Equatable, Sendable {
    case scheduled(days: Int)
    case immediate

    public static let defaultRecoveryDays = 30

    /// Validates the AWS request members.
    public init(recoveryWindowInDays: Int?, forceDeleteWithoutRecovery: Bool?) throws {
        let force = forceDeleteWithoutRecovery ?? false
        if force, recoveryWindowInDays != nil {
            throw SejfError(.invalidParameter,
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
        }
        if let days = recoveryWindowInDays, !(7...30).contains(days) {
            throw SejfError(.invalidParameter, "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        }
        self = force ? .immediate : .scheduled(days: recoveryWindowInDays ?? Self.defaultRecoveryDays)
    }
}

/// A secret's deletion state.
public struct DeletionState: Equatable, Sendable {
    /// When `DeleteSecret` was called.
    public var deletedAt: Double
    /// When the secret is purged for good (seconds since 1970).
    public var purgeAt: Double

    public init(deletedAt: Double, purgeAt: Double) {
        self.deletedAt = deletedAt
        self.purgeAt = purgeAt
    }

    /// Whether the recovery window has passed at `now`: the secret is gone, as if purged.
    public func isExpired(at now: Double) -> Bool { now >= purgeAt }
}
