import FuzzSupport
import SejfCore

/// IAM resource policy documents: parsing (`PutResourcePolicy`), validation findings
/// (`ValidateResourcePolicy`) and, for a document that parses, the access decision for a request
/// whose principal, action and source address come from the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let principal = input.string(), action = input.string(), sourceIp = input.string()
    let document = input.restString()
    _ = try? ResourcePolicy.validate(document)
    guard let policy = try? ResourcePolicy.forPut(document, blockPublicPolicy: false) else { return 0 }
    _ = policy.isPublic
    let secret = SecretFacts(arn: arn, tags: [Tag(key: "team", value: "core")], resourcePolicy: policy)
    let request = AccessRequest(principal: principal, account: "000000000000", environment: arn.environment, action: action,
                                secret: secret, sourceIp: sourceIp, now: 1_700_000_000)
    _ = AccessControl().decide(request)
    return 0
}

private let arn = SecretARN(environment: try! EnvironmentName("dev"), account: "000000000000", name: "db/credentials", suffix: "AbC123")
