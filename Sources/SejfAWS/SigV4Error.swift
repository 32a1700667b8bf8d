/// Why a request failed SigV4 authentication, in AWS's words: `code` is the `__type` AWS returns
/// and `message` its text, so the server can send `{"__type": code, "message": message}` as is.
///
/// `reason` is a small closed set, safe as a metrics label or an audit field.
///
/// - Warning: messages may echo what the client sent (its `Authorization` header, its scope,
///   its timestamp), as AWS does, but never the secret key, a signing key, or the signature the
///   server computed.
public struct SigV4Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// A bounded classification of the failure (for metrics and audit; not shown to clients).
    public enum Reason: String, Sendable, CaseIterable {
        /// No `Authorization` header and no query-string signature.
        case missing
        /// The signature parameters are incomplete or unparsable.
        case malformed
        /// The credential scope names another service, region, date or terminator.
        case scope
        /// The request time is outside the allowed window (or a presigned URL expired).
        case expired
        /// The access key id is not known.
        case unknownKey
        /// The signature does not match.
        case signatureMismatch
        /// `X-Amz-Content-Sha256` does not match the body.
        case bodyHash
    }

    /// `__type` for a request without any signature.
    public static let missingAuthenticationTokenCode = "MissingAuthenticationTokenException"
    /// `__type` for missing or unparsable signature parameters.
    public static let incompleteSignatureCode = "IncompleteSignatureException"
    /// `__type` for a wrong scope, an expired time, unsigned required headers, a body hash or
    /// signature mismatch.
    public static let invalidSignatureCode = "InvalidSignatureException"
    /// `__type` for an unknown access key id.
    public static let unrecognizedClientCode = "UnrecognizedClientException"

    /// The AWS error code (`__type`).
    public let code: String
    /// AWS's message.
    public let message: String
    /// The failure class.
    public let reason: Reason

    public init(code: String, message: String, reason: Reason) {
        self.code = code
        self.message = message
        self.reason = reason
    }

    /// The HTTP status AWS's JSON services answer these errors with: 400 for all of them.
    public var httpStatus: Int { 400 }

    public var description: String { "\(code): \(message)" }
}

extension SigV4Error {
    /// No credentials at all.
    public static let missingAuthenticationToken = SigV4Error(
        code: missingAuthenticationTokenCode, message: "Missing Authentication Token", reason: .missing)

    /// The access key id is not known.
    public static let unrecognizedClient = SigV4Error(
        code: unrecognizedClientCode, message: "The security token included in the request is invalid.",
        reason: .unknownKey)

    /// The computed signature differs from the one sent.
    public static let signatureMismatch = SigV4Error(
        code: invalidSignatureCode,
        message: "The request signature we calculated does not match the signature you provided. "
            + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        reason: .signatureMismatch)

    /// `X-Amz-Content-Sha256` is not the hash of the body received (S3's wording; other AWS
    /// services report a signature mismatch).
    public static let bodyHashMismatch = SigV4Error(
        code: invalidSignatureCode,
        message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
        reason: .bodyHash)

    static func incomplete(_ message: String) -> SigV4Error {
        SigV4Error(code: incompleteSignatureCode, message: message, reason: .malformed)
    }

    static func invalid(_ message: String, _ reason: Reason) -> SigV4Error {
        SigV4Error(code: invalidSignatureCode, message: message, reason: reason)
    }
}
