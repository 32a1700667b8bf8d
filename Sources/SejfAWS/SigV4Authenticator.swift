import Foundation
import SejfCore
import SejfService

/// Authenticates requests with SigV4 against the access keys of the installation. The region of
/// the credential scope must name an environment; Sejf issues no session tokens, so a request
/// carrying one is refused.
public struct SigV4Authenticator: RequestAuthenticator {
    public static let serviceName = "secretsmanager"
    private let service: SecretsService
    private let environments: Set<String>

    /// - Parameter service: the service whose access keys and environments (read once, here) apply.
    public init(service: SecretsService) throws {
        self.service = service
        self.environments = Set(try service.environmentNames())
    }

    public func authenticate(_ request: AWSHTTPRequest, now: Date) throws -> AuthenticatedCaller {
        var principal: Principal?
        let identity: SigV4Identity
        do {
            identity = try SigV4Verifier.verify(request: request.sigV4, now: now, expectedService: Self.serviceName,
                                                isValidRegion: environments.contains) { accessKeyId in
                guard let (found, secret) = try service.authenticate(accessKeyId: accessKeyId) else { return nil }
                principal = found
                return secret.withUnsafeBytes { Array($0) }
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
