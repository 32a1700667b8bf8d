import Foundation
import Metrics
import SejfCore
import SejfCrypto
import SejfService

/// Authenticates requests with SigV4 against the access keys of the installation. The region of
/// the credential scope must name an environment; Sejf issues no session tokens, so a request
/// carrying one is refused.
public struct SigV4Authenticator: RequestAuthenticator {
    public static let serviceName = "secretsmanager"
    private let service: SecretsService
    private let environments: Set<String>
    private let signingKeys = SigV4SigningKeyCache()

    /// - Parameter service: the service whose access keys and environments (read once, here) apply.
    public init(service: SecretsService) throws {
        self.service = service
        self.environments = Set(try service.environmentNames())
    }

    public func authenticate(_ request: AWSHTTPRequest, requestId: String, now: Date) throws -> AuthenticatedCaller {
        do {
            return try verify(request, now: now)
        } catch let error as AWSWireError {
            Counter(label: "sejf_sigv4_failures_total", dimensions: [("reason", error.code)]).increment()
            // A failure that names a known access key is audited (best effort: the answer is a
            // refusal either way).
            if let authorization = try? SigV4Authorization.parse(request.sigV4) {
                service.recordAuthenticationFailure(
                    accessKeyId: authorization.accessKeyId, region: authorization.credentialElements.dropFirst(2).first ?? "",
                    sourceAddress: request.sourceAddress, userAgent: request.values(of: "User-Agent").first ?? "",
                    requestId: requestId, errorCode: error.code)
            }
            throw error
        }
    }

    private func verify(_ request: AWSHTTPRequest, now: Date) throws -> AuthenticatedCaller {
        var principal: Principal?
        let identity: SigV4Identity
        do {
            identity = try SigV4Verifier.verify(request: request.sigV4, now: now, expectedService: Self.serviceName,
                                                isValidRegion: environments.contains) { scope in
                // Whether the key is active is asked on every request; its signing key is kept.
                guard let owner = try service.activeAccessKeyOwner(scope.accessKeyId) else { return nil }
                principal = owner
                return try signingKeys.signingKey(for: scope) { scope in
                    try service.accessKeySecret(scope.accessKeyId).map { SecureBytes(signingKeyOf: $0, scope) }
                }
            }
        } catch let error as SigV4Error {
            throw AWSWireError(code: error.code, message: error.message)
        }
        guard let principal, identity.sessionToken == nil else {
            throw AWSWireError(code: "UnrecognizedClientException", message: "The security token included in the request is invalid.")
        }
        return AuthenticatedCaller(principal: principal, accessKeyId: identity.accessKeyId, region: identity.region)
    }
}
