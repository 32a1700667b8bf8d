/// The error every Sejf operation throws: an AWS Secrets Manager error code and AWS's message,
/// so the API layer can return it verbatim and the CLI can print it on one line.
///
/// Messages never contain a secret value or key material.
public struct SejfError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The AWS error codes (`__type`) Sejf returns.
    public enum Code: String, Sendable, CaseIterable {
        case resourceNotFound = "ResourceNotFoundException"
        case resourceExists = "ResourceExistsException"
        case invalidParameter = "InvalidParameterException"
        case invalidRequest = "InvalidRequestException"
        case invalidNextToken = "InvalidNextTokenException"
        case limitExceeded = "LimitExceededException"
        case decryptionFailure = "DecryptionFailure"
        case encryptionFailure = "EncryptionFailure"
        case validation = "ValidationException"
        case accessDenied = "AccessDeniedException"
        case malformedPolicyDocument = "MalformedPolicyDocumentException"
        case publicPolicy = "PublicPolicyException"
        case preconditionNotMet = "PreconditionNotMetException"
        case internalServiceError = "InternalServiceError"
        /// The access key that signed the request is unknown or no longer active.
        case unrecognizedClient = "UnrecognizedClientException"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension SejfError {
    /// `UnrecognizedClientException`, in AWS's words, for a request signed with an access key that
    /// is unknown, inactive or deleted.
    public static let unrecognizedClient = SejfError(.unrecognizedClient, "The security token included in the request is invalid.")

    /// `ResourceNotFoundException` for a secret that does not exist (or is purged).
    public static let secretNotFound = SejfError(.resourceNotFound, "Secrets Manager can't find the specified secret.")

    /// `InvalidRequestException` for an operation on a secret scheduled for deletion.
    public static let markedForDeletion = SejfError(
        .invalidRequest, "You can't perform this operation on the secret because it was marked for deletion.")

    /// `InvalidRequestException` for a change sent to a replica instead of its primary.
    public static let operationOnReplica = SejfError(
        .invalidRequest, "Operation not permitted on a replica secret. Call must be made in primary secret's region.")

    /// The internal error of a request whose audit events could not be made durable: a read
    /// that cannot be audited is not served.
    public static func unaudited(_ cause: any Error) -> SejfError {
        SejfError(.internalServiceError, "The request could not be audited, so it was not served: \(cause)")
    }

    /// `ResourceNotFoundException` for a staging label no version carries.
    public static func valueNotFound(stage: String) -> SejfError {
        SejfError(.resourceNotFound, "Secrets Manager can't find the specified secret value for staging label: \(stage)")
    }

    /// `ResourceNotFoundException` for a version id the secret does not have.
    public static func valueNotFound(versionId: String) -> SejfError {
        SejfError(.resourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: \(versionId)")
    }

    /// `ValidationException` in the form AWS uses for a violated model constraint.
    public static func constraint(_ member: String, _ rule: String) -> SejfError {
        SejfError(.validation, "1 validation error detected: Value at '\(member)' failed to satisfy constraint: \(rule)")
    }

    /// A length constraint from the service model, checked against `count`.
    public static func checkLength(_ member: String, _ count: Int, min: Int = 0, max: Int) throws {
        if count < min { throw constraint(member, "Member must have length greater than or equal to \(min)") }
        if count > max { throw constraint(member, "Member must have length less than or equal to \(max)") }
    }
}
