import Foundation
import SejfCore
import SejfService

/// Authenticates requests with SigV4 against the access keys of the installation.
public struct SigV4Authenticator: RequestAuthenticator {
    public static let serviceName = "secretsmanager"
    private let service: SecretsService

    public init(service: SecretsService) {
        self.service = service
    }

    public func authenticate(_ request: AWSHTTPRequest, now: Date) throws -> AuthenticatedCaller {
        var principal: Principal?
        let identity: SigV4Identity
        do {
            identity = try SigV4Verifier.verify(request: request.sigV4, now: now, expectedService: Self.serviceName) { accessKeyId in
                guard let (found, secret) = try service.authenticate(accessKeyId: accessKeyId) else { return nil }
                principal = found
                return secret.withUnsafeBytes { Array($0) }
            }
        } catch let error as SigV4Error {
            throw AWSWireError(code: error.code, message: error.message)
        }
        guard let principal else {
            throw AWSWireError(code: "UnrecognizedClientException", message: "The security token included in the request is invalid.")
        }
        return AuthenticatedCaller(principal: principal, accessKeyId: identity.accessKeyId, region: identity.region)
    }
}
