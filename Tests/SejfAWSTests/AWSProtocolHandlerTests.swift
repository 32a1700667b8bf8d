import Foundation
import Testing
import SejfCore
@testable import SejfAWS
import SejfService
import SejfStore

/// The protocol layer end to end without HTTP: a real store, real access keys, requests signed
/// with the real signer and answered by the handler.
final class HandlerFixture: @unchecked Sendable {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("sejf-aws-\(UUID().uuidString)").path
    let handler: AWSProtocolHandler
    let key: NewAccessKey
    let now = Date()

    init() throws {
        let directory = DataDirectory(path: root)
        let report = try DataStoreSetup.initialise(directory, environments: [.named(try EnvironmentName("dev"))], kdf: .interactive,
                                                   variables: [:])
        key = report.adminAccessKey
        let service = try DataStoreSetup.open(directory, variables: [:])
        handler = AWSProtocolHandler(service: service, authenticator: try SigV4Authenticator(service: service))
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func send(_ target: String, _ body: String, region: String = "dev", secret: String? = nil) -> (AWSHTTPResponse, [String: Any]) {
        var request = SigV4Request(method: "POST", path: "/", headers: [
            ("Host", "127.0.0.1:8780"), ("Content-Type", AWSProtocolHandler.contentType), ("X-Amz-Target", "secretsmanager.\(target)"),
        ], body: Array(body.utf8))
        for (name, value) in SigV4Signer.sign(request: request, accessKeyId: key.AccessKeyId,
                                              secretKey: Array((secret ?? key.SecretAccessKey).utf8), region: region,
                                              service: "secretsmanager", date: now) {
            request.setHeader(name, value)
        }
        let response = handler.handle(AWSHTTPRequest(request, sourceAddress: "127.0.0.1"), requestId: "req-1")
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response, json)
    }
}

struct AWSProtocolHandlerTests {
    @Test func successCarriesTheShapeAndTheRequestId() throws {
        let f = try HandlerFixture()
        let (created, body) = f.send("CreateSecret", #"{"Name":"db/x","SecretString":"v","ClientRequestToken":"0123456789abcdef0123456789abcdef"}"#)
        #expect(created.status == 200)
        #expect((body["ARN"] as? String)?.hasPrefix("arn:aws:secretsmanager:dev:") == true)
        #expect(body["VersionId"] as? String == "0123456789abcdef0123456789abcdef")
        #expect(created.headers.contains { $0.name == "x-amzn-RequestId" && $0.value == "req-1" })
        let (got, value) = f.send("GetSecretValue", #"{"SecretId":"db/x"}"#)
        #expect(got.status == 200)
        #expect(value["SecretString"] as? String == "v")
        #expect(value["CreatedDate"] is Double)
    }

    @Test(arguments: [
        ("GetSecretValue", #"{"SecretId":"nope"}"#, "ResourceNotFoundException"),
        ("GetSecretValue", #"{}"#, "ValidationException"),
        ("GetSecretValue", #"{"SecretId":5}"#, "SerializationException"),
        ("GetSecretValue", #"[]"#, "SerializationException"),
        ("GetSecretValue", #"{"SecretId":"#, "SerializationException"),
        ("CreateSecret", #"{"Name":"x","Tags":[{"Value":"v"}]}"#, "ValidationException"),
        ("NoSuchThing", #"{}"#, "UnknownOperationException"),
    ])
    func errorsHaveAWSTypes(target: String, body: String, code: String) throws {
        let f = try HandlerFixture()
        let (response, json) = f.send(target, body)
        #expect(response.status == 400)
        #expect(json["__type"] as? String == code)
        #expect((json["message"] as? String)?.isEmpty == false)
        #expect(response.errorCode == code)
    }

    @Test func missingMembersAreNamedTheAWSWay() throws {
        let f = try HandlerFixture()
        let (_, json) = f.send("CreateSecret", #"{"Name":"x","Tags":[{"Value":"v"}]}"#)
        #expect(json["message"] as? String == "1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must not be null")
    }

    @Test func authenticationComesBeforeTheOperation() throws {
        let f = try HandlerFixture()
        let (wrong, json) = f.send("GetSecretValue", #"{"SecretId":"x"}"#, secret: String(repeating: "x", count: 40))
        #expect(wrong.status == 400)
        #expect(json["__type"] as? String == "InvalidSignatureException")
        let (region, regionJSON) = f.send("ListSecrets", "{}", region: "qa")
        #expect(region.status == 400)
        #expect(regionJSON["__type"] as? String == "InvalidSignatureException")
    }

    @Test func internalServiceErrorsAre500() {
        let response = AWSProtocolHandler.errorResponse(AWSWireError(SejfError(.internalServiceError, "disk on fire")), requestId: "r",
                                                        operation: nil)
        #expect(response.status == 500)
    }
}
