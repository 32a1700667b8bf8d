import Foundation
import SejfCore
import SejfService

/// An HTTP request as the AWS protocol layer sees it, independent of the HTTP server: what
/// SigV4 signs, and where it came from.
public struct AWSHTTPRequest: Sendable {
    public var sigV4: SigV4Request
    /// The client's address, for the audit trail and logs.
    public var sourceAddress: String

    public init(_ request: SigV4Request, sourceAddress: String) {
        self.sigV4 = request
        self.sourceAddress = sourceAddress
    }

    /// Every value of a header, by case-insensitive name.
    public func values(of name: String) -> [String] { sigV4.values(of: name) }
}

/// The answer to one request.
public struct AWSHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// For logs and metrics: the operation, and the AWS error code when it failed.
    public var operation: String?
    public var errorCode: String?
    /// For logs: the authenticated principal, once known.
    public var principal: String?
    /// For the server's log only: an internal error's detail.
    public var errorDetail: String?
}

/// An error on the wire: AWS's `__type`, its message and the HTTP status.
public struct AWSWireError: Error, Equatable, Sendable {
    public var code: String
    public var message: String
    public var status: Int

    public init(code: String, message: String, status: Int = 400) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// An internal error's detail (paths, storage reasons) is for the server's log, not the
    /// client: the client gets a generic message and the request id.
    init(_ error: SejfError) {
        if error.code == .internalServiceError {
            self.init(code: error.code.rawValue, message: "An internal error occurred; the server's log has the details.", status: 500)
            detail = error.message
        } else {
            self.init(code: error.code.rawValue, message: error.message, status: 400)
        }
    }

    /// What the log records about an internal error.
    public var detail: String?

    static func serialization(_ message: String) -> AWSWireError { AWSWireError(code: "SerializationException", message: message) }
}

/// Who a verified request comes from.
public struct AuthenticatedCaller: Sendable {
    public var principal: Principal
    public var accessKeyId: String
    /// The region of the credential scope: the environment.
    public var region: String

    public init(principal: Principal, accessKeyId: String, region: String) {
        self.principal = principal
        self.accessKeyId = accessKeyId
        self.region = region
    }
}

/// Authenticates a request (SigV4 in production).
public protocol RequestAuthenticator: Sendable {
    /// - Throws: ``AWSWireError`` with AWS's authentication error codes.
    func authenticate(_ request: AWSHTTPRequest, requestId: String, now: Date) throws -> AuthenticatedCaller
}

/// The AWS JSON 1.1 protocol of Secrets Manager: `POST /` with `X-Amz-Target:
/// secretsmanager.<Operation>` (or `sejf.<Operation>` for ``SejfOperations``), a JSON body, and a
/// JSON answer or `{"__type", "message"}` error.
///
/// The pipeline per request: target → authenticate → environment → decode → service → encode.
public struct AWSProtocolHandler: Sendable {
    public static let contentType = "application/x-amz-json-1.1"

    private let service: SecretsService
    private let authenticator: any RequestAuthenticator
    private let clock: @Sendable () -> Date
    private let operations: [String: any SecretsOperation.Type]

    public init(service: SecretsService, authenticator: any RequestAuthenticator,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.service = service
        self.authenticator = authenticator
        self.clock = clock
        self.operations = Dictionary(uniqueKeysWithValues: (SecretsManager.all + SejfOperations.all).map { ($0.target, $0) })
    }

    /// Handles one request; never throws: every failure becomes an AWS error response.
    public func handle(_ request: AWSHTTPRequest, requestId: String) -> AWSHTTPResponse {
        var operationName: String?
        var principal: String?
        do {
            let operation = try resolveOperation(request)
            operationName = operation.name
            let caller = try authenticator.authenticate(request, requestId: requestId, now: clock())
            principal = caller.principal.name
            let context = RequestContext(
                environment: try EnvironmentName(caller.region), principal: caller.principal, accessKeyId: caller.accessKeyId,
                sourceAddress: request.sourceAddress, userAgent: request.values(of: "User-Agent").first ?? "", requestId: requestId)
            let body = try Self.run(operation, service: service, body: request.sigV4.body, context: context)
            return AWSHTTPResponse(status: 200, headers: Self.headers(requestId), body: body, operation: operationName, principal: principal)
        } catch {
            let wire = (error as? AWSWireError) ?? (error as? SejfError).map(AWSWireError.init)
                ?? AWSWireError(code: "InternalServiceError", message: "An internal error occurred.", status: 500)
            var response = Self.errorResponse(wire, requestId: requestId, operation: operationName)
            response.principal = principal
            return response
        }
    }

    /// Handles one request without blocking the calling task. A read-only operation is served
    /// on it, and its audit events are made durable asynchronously before it answers; any other
    /// operation waits for its own commit, so it is handed to `offload`, which runs it on a
    /// thread that may block.
    public func serve(_ request: AWSHTTPRequest, requestId: String,
                      offload: (@escaping @Sendable () -> AWSHTTPResponse) async -> AWSHTTPResponse) async -> AWSHTTPResponse {
        guard let operation = try? resolveOperation(request), operation.readsOnly else {
            return await offload { self.handle(request, requestId: requestId) }
        }
        let (response, auditFailure) = await service.serveWithDeferredAudit { handle(request, requestId: requestId) }
        guard let auditFailure, response.status == 200 else { return response }
        var refused = Self.errorResponse(AWSWireError(.unaudited(auditFailure)), requestId: requestId, operation: response.operation)
        refused.principal = response.principal
        return refused
    }

    private func resolveOperation(_ request: AWSHTTPRequest) throws -> any SecretsOperation.Type {
        guard request.sigV4.method == "POST" else {
            throw AWSWireError(code: "UnknownOperationException", message: "Only POST is supported: the AWS JSON 1.1 protocol.")
        }
        let targets = request.values(of: "X-Amz-Target")
        guard targets.count == 1, let target = targets.first, let operation = operations[target] else {
            throw AWSWireError(code: "UnknownOperationException", message: "The operation in X-Amz-Target is not one this service supports.")
        }
        return operation
    }

    /// Decodes the request shape, performs the operation, encodes the response shape.
    static func run<Operation: SecretsOperation>(_ operation: Operation.Type, service: SecretsService, body: [UInt8],
                                                 context: RequestContext) throws -> [UInt8] {
        let request = try WireJSON.decode(Operation.Request.self, from: body)
        let response = try Operation.perform(service, request, context)
        return try WireJSON.encode(response)
    }

    static func headers(_ requestId: String) -> [(name: String, value: String)] {
        [("Content-Type", contentType), ("x-amzn-RequestId", requestId)]
    }

    public static func errorResponse(_ error: AWSWireError, requestId: String, operation: String?) -> AWSHTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: ["__type": error.code, "message": error.message], options: [.sortedKeys])) ?? Data()
        var headers = headers(requestId)
        headers.append(("x-amzn-ErrorType", error.code))
        return AWSHTTPResponse(status: error.status, headers: headers, body: [UInt8](body), operation: operation, errorCode: error.code,
                               errorDetail: error.detail)
    }
}
