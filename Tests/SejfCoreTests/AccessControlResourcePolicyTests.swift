import Testing
@testable import SejfCore

private typealias F = AccessFixture

/// A policy with one statement; the pieces are JSON fragments.
private func policy(
    sid: String? = "S", effect: String = "Allow",
    principal: String = #""Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"}"#,
    action: String = #""Action": "secretsmanager:GetSecretValue""#,
    resource: String = #""Resource": "*""#,
    condition: String? = nil
) -> String {
    let parts = [sid.map { #""Sid": "\#($0)""# }, #""Effect": "\#(effect)""#, principal, action, resource,
                 condition.map { #""Condition": \#($0)"# }].compactMap { $0 }
    return #"{"Version": "2012-10-17", "Statement": [{"# + parts.joined(separator: ", ") + "}]}"
}

/// Whether the one-statement `policy` applies to `request` (with the policy put on its secret).
private func applies(_ json: String, _ request: AccessRequest = F.request()) -> Bool {
    var request = request
    let name = request.secret?.name ?? "db/credentials"
    let env = request.secret?.arn.environment.rawValue ?? "prod"
    let tags = Dictionary(uniqueKeysWithValues: (request.secret?.tags ?? []).map { ($0.key, $0.value) })
    request.secret = F.secret(name, env: env, tags: tags, policy: json)
    return request.secret!.resourcePolicy!.statements[0].applies(to: request)
}

/// Whether a condition `{op: {key: values}}` holds for `request`.
private func holds(_ op: String, _ key: String, _ values: [String], _ request: AccessRequest = F.request()) -> Bool {
    PolicyCondition(op: op, key: key, values: values).matches(request)
}

struct ResourcePolicyDecisionTests {
    @Test func grantsAnotherPrincipalWithNoRole() {
        let secret = F.secret("db/credentials", policy: policy(sid: "ReadForBob", principal: #""Principal": {"AWS": "arn:aws:iam::123456789012:user/bob"}"#))
        #expect(AccessControl().decide(F.request(as: "bob", on: secret)) == .allowed(by: "resource policy statement 'ReadForBob'"))
        #expect(AccessControl().decide(F.request(as: "alice", on: secret)) == .implicitDeny)
        #expect(AccessControl().decide(F.request("PutSecretValue", as: "bob", on: secret)) == .implicitDeny)
    }

    @Test func explicitDenyBeatsAdminRole() {
        let secret = F.secret("db/credentials", policy: policy(sid: "DenyAll", effect: "Deny", principal: #""Principal": "*""#,
                                                              action: #""Action": "*""#))
        let access = AccessControl(bindings: [AccessBinding(name: "admins", role: "admin", principals: ["alice"], environments: ["*"])])
        let decision = access.decide(F.request(on: secret))
        #expect(decision == .denied(by: "resource policy statement 'DenyAll'", inResourcePolicy: true))
        #expect(decision.accessDeniedMessage(for: F.request(on: secret))!.hasSuffix("with an explicit deny in a resource-based policy"))
    }

    @Test func roleDenyBeatsPolicyAllow() {
        let secret = F.secret("db/credentials", policy: policy())
        let access = F.access([AccessRule(effect: .deny, actions: ["*"], secrets: ["db/*"])])
        #expect(access.decide(F.request(on: secret)) == .denied(by: "role custom (binding custom-binding), rule 1 (deny)", inResourcePolicy: false))
    }

    @Test func roleAllowIsNamedBeforePolicyAllow() {
        let secret = F.secret("db/credentials", policy: policy())
        let access = AccessControl(bindings: [AccessBinding(name: "r", role: "reader", principals: ["alice"], environments: ["*"])])
        #expect(access.decide(F.request(on: secret)) == .allowed(by: "role reader (binding r), rule 1"))
    }

    @Test func statementWithoutSidIsNamedByPosition() throws {
        let json = #"""
            {"Statement": [
              {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/bob"}, "Action": "secretsmanager:DescribeSecret", "Resource": "*"},
              {"Effect": "Deny", "Principal": {"AWS": "123456789012"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
            """#
        let secret = F.secret("db/credentials", policy: json)
        let access = AccessControl(bindings: [AccessBinding(name: "r", role: "reader", principals: ["alice"], environments: ["*"])])
        #expect(access.decide(F.request(on: secret)) == .denied(by: "resource policy statement 2", inResourcePolicy: true))
        #expect(access.decide(F.request("DescribeSecret", as: "bob", on: secret)) == .allowed(by: "resource policy statement 1"))
    }

    @Test func policyOnlyAppliesToItsSecret() {
        let access = F.access([AccessRule(actions: ["secretsmanager:ListSecrets"], secrets: ["*"])])
        let secret = F.secret("db/credentials", policy: policy(effect: "Deny", action: #""Action": "secretsmanager:ListSecrets""#))
        let list = F.request("ListSecrets", on: nil)
        #expect(access.decide(list).isAllowed)
        #expect(!access.canSee(secret, for: list))
    }
}

struct PolicyPrincipalTests {
    @Test(arguments: [
        (#""Principal": "*""#, true),
        (#""Principal": {"AWS": "*"}"#, true),
        (#""Principal": {"AWS": "123456789012"}"#, true),
        (#""Principal": {"AWS": "999999999999"}"#, false),
        (#""Principal": {"AWS": "arn:aws:iam::123456789012:root"}"#, true),
        (#""Principal": {"AWS": "arn:aws:iam::999999999999:root"}"#, false),
        (#""Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"}"#, true),
        (#""Principal": {"AWS": "arn:aws:iam::123456789012:user/bob"}"#, false),
        (#""Principal": {"AWS": "arn:aws:iam::123456789012:user/*"}"#, false),
        (#""Principal": {"AWS": "arn:aws:iam::123456789012:role/alice"}"#, false),
        (#""Principal": {"AWS": ["arn:aws:iam::123456789012:user/bob", "arn:aws:iam::123456789012:user/alice"]}"#, true),
        (#""Principal": {"Service": "lambda.amazonaws.com"}"#, false),
        (#""NotPrincipal": {"AWS": "arn:aws:iam::123456789012:user/bob"}"#, true),
        (#""NotPrincipal": {"AWS": "arn:aws:iam::123456789012:user/alice"}"#, false),
        (#""NotPrincipal": {"AWS": "123456789012"}"#, false),
        (#""NotPrincipal": {"Service": "lambda.amazonaws.com"}"#, true),
    ])
    func principal(_ element: String, _ expected: Bool) {
        #expect(applies(policy(principal: element)) == expected)
    }
}

struct PolicyActionResourceTests {
    @Test(arguments: [
        (#""Action": "secretsmanager:GetSecretValue""#, true),
        (#""Action": ["secretsmanager:DescribeSecret", "secretsmanager:Get*"]"#, true),
        (#""Action": "secretsmanager:*""#, true),
        (#""Action": "*""#, true),
        (#""Action": "secretsmanager:getsecretvalue""#, true),
        (#""Action": "secretsmanager:PutSecretValue""#, false),
        (#""NotAction": "secretsmanager:PutSecretValue""#, true),
        (#""NotAction": "secretsmanager:Get*""#, false),
        (#""NotAction": ["secretsmanager:Delete*", "secretsmanager:GetSecretValue"]"#, false),
    ])
    func action(_ element: String, _ expected: Bool) {
        #expect(applies(policy(action: element)) == expected)
    }

    @Test(arguments: [
        (#""Resource": "*""#, true),
        (#""Resource": "arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf""#, true),
        (#""Resource": "arn:aws:secretsmanager:prod:123456789012:secret:db/*""#, true),
        (#""Resource": "arn:aws:secretsmanager:*:*:secret:db/credentials-??????""#, true),
        (#""Resource": "arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-?????""#, false),
        (#""Resource": "arn:aws:secretsmanager:dev:123456789012:secret:db/*""#, false),
        (#""Resource": "arn:aws:secretsmanager:prod:123456789012:secret:DB/*""#, false),
        (#""NotResource": "arn:aws:secretsmanager:prod:123456789012:secret:public/*""#, true),
        (#""NotResource": "arn:aws:secretsmanager:prod:123456789012:secret:db/*""#, false),
    ])
    func resource(_ element: String, _ expected: Bool) {
        #expect(applies(policy(resource: element)) == expected)
    }

    @Test func everyPartMustMatch() {
        #expect(applies(policy(condition: #"{"StringEquals": {"aws:username": "alice"}}"#)))
        #expect(!applies(policy(condition: #"{"StringEquals": {"aws:username": "alice"}, "StringLike": {"aws:RequestedRegion": "dev*"}}"#)))
    }
}

struct PolicyConditionStringTests {
    @Test func stringEquals() {
        #expect(holds("StringEquals", "aws:username", ["alice"]))
        #expect(holds("StringEquals", "aws:username", ["bob", "alice"]))
        #expect(!holds("StringEquals", "aws:username", ["Alice"]))
        #expect(!holds("StringEquals", "aws:username", ["ali*"]))
    }

    @Test func stringNotEquals() {
        #expect(holds("StringNotEquals", "aws:username", ["bob"]))
        #expect(!holds("StringNotEquals", "aws:username", ["bob", "alice"]))
    }

    @Test func ignoreCase() {
        #expect(holds("StringEqualsIgnoreCase", "aws:username", ["ALICE"]))
        #expect(!holds("StringNotEqualsIgnoreCase", "aws:username", ["ALICE"]))
        #expect(holds("StringNotEqualsIgnoreCase", "aws:username", ["BOB"]))
    }

    @Test func stringLike() {
        #expect(holds("StringLike", "aws:username", ["al*"]))
        #expect(holds("StringLike", "aws:username", ["?lice"]))
        #expect(!holds("StringLike", "aws:username", ["AL*"]))
        #expect(holds("StringLike", "secretsmanager:SecretId", ["arn:aws:secretsmanager:prod:*:secret:db/*"]))
    }

    @Test func stringNotLike() {
        #expect(holds("StringNotLike", "aws:username", ["b*"]))
        #expect(!holds("StringNotLike", "aws:username", ["b*", "a*"]))
    }

    @Test func contextKeys() {
        let request = F.request()
        #expect(holds("StringEquals", "aws:PrincipalArn", ["arn:aws:iam::123456789012:user/alice"], request))
        #expect(holds("StringEquals", "aws:principalarn", ["arn:aws:iam::123456789012:user/alice"], request))  // key names ignore case
        #expect(holds("StringEquals", "aws:PrincipalAccount", ["123456789012"], request))
        #expect(holds("StringEquals", "aws:RequestedRegion", ["prod"], request))
        #expect(!holds("StringEquals", "aws:RequestedRegion", ["dev"], request))
        #expect(holds("StringEquals", "aws:SourceIp", ["10.1.2.3"], request))
        #expect(holds("StringEquals", "secretsmanager:SecretId", ["arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf"], request))
        #expect(holds("StringEquals", "aws:CurrentTime", ["2023-11-14T22:13:20Z"], request))
        #expect(holds("StringEquals", "aws:EpochTime", ["1700000000"], request))
    }

    @Test func resourceTags() {
        let request = F.request(on: F.secret("db/credentials", tags: ["team": "web", "sejf:kind": "config"]))
        #expect(holds("StringEquals", "secretsmanager:ResourceTag/team", ["web"], request))
        #expect(holds("StringEquals", "aws:ResourceTag/sejf:kind", ["config"], request))
        #expect(holds("StringEquals", "SecretsManager:resourcetag/team", ["web"], request))
        #expect(!holds("StringEquals", "secretsmanager:ResourceTag/Team", ["web"], request))  // the tag key keeps its case
        #expect(!holds("StringEquals", "secretsmanager:ResourceTag/owner", ["web"], request))
        #expect(holds("StringNotEquals", "secretsmanager:ResourceTag/owner", ["web"], request))  // absent key: negated holds
        #expect(holds("Null", "secretsmanager:ResourceTag/owner", ["true"], request))
        #expect(!holds("Null", "secretsmanager:ResourceTag/team", ["true"], request))
        #expect(holds("Null", "secretsmanager:ResourceTag/team", ["false"], request))
    }

    @Test func unknownOperatorsAndKeysNeverMatch() {
        #expect(!holds("StringEqualsIfExists", "aws:username", ["alice"]))
        #expect(!holds("ForAnyValue:StringEquals", "aws:username", ["alice"]))
        #expect(!holds("Bool", "aws:SecureTransport", ["true"]))
        #expect(!holds("NumericLessThan", "aws:EpochTime", ["9999999999"]))
        #expect(!holds("stringequals", "aws:username", ["alice"]))
        #expect(!holds("StringEquals", "aws:userid", ["alice"]))
        #expect(!holds("StringNotEquals", "aws:userid", ["alice"]))  // unknown key: not even the negated form
        #expect(!holds("Null", "aws:userid", ["true"]))
        #expect(!holds("StringEquals", "secretsmanager:ResourceTag/", [""]))
    }

    @Test func supportedConditions() {
        #expect(PolicyCondition(op: "StringEquals", key: "aws:username", values: ["a"]).isSupported)
        #expect(PolicyCondition(op: "IpAddress", key: "aws:sourceip", values: ["a"]).isSupported)
        #expect(PolicyCondition(op: "StringEquals", key: "secretsmanager:ResourceTag/team", values: ["a"]).isSupported)
        #expect(!PolicyCondition(op: "StringEquals", key: "secretsmanager:ResourceTag/", values: ["a"]).isSupported)
        #expect(!PolicyCondition(op: "Bool", key: "aws:SecureTransport", values: ["true"]).isSupported)
        #expect(!PolicyCondition(op: "StringEqualsIfExists", key: "aws:username", values: ["a"]).isSupported)
        #expect(!PolicyCondition(op: "StringEquals", key: "aws:userid", values: ["a"]).isSupported)
    }

    /// A Deny statement whose condition Sejf cannot evaluate does not apply (documented).
    @Test func denyWithUnknownConditionDoesNotApply() {
        let secret = F.secret("db/credentials", policy: policy(effect: "Deny", principal: #""Principal": "*""#,
                                                              condition: #"{"Bool": {"aws:SecureTransport": "false"}}"#))
        let access = AccessControl(bindings: [AccessBinding(name: "r", role: "reader", principals: ["alice"], environments: ["*"])])
        #expect(access.decide(F.request(on: secret)).isAllowed)
    }

    @Test func conditionFromParsedPolicy() {
        #expect(applies(policy(condition: #"{"StringEquals": {"secretsmanager:ResourceTag/team": ["web", "api"]}}"#),
                        F.request(on: F.secret("db/credentials", tags: ["team": "api"]))))
        #expect(!applies(policy(condition: #"{"StringEquals": {"secretsmanager:ResourceTag/team": ["web", "api"]}}"#),
                         F.request(on: F.secret("db/credentials", tags: ["team": "ops"]))))
    }
}

struct PolicyConditionArnTests {
    @Test(arguments: ["ArnLike", "ArnEquals"])
    func positive(op: String) {
        #expect(holds(op, "aws:PrincipalArn", ["arn:aws:iam::123456789012:user/alice"]))
        #expect(holds(op, "aws:PrincipalArn", ["arn:aws:iam::*:user/*"]))
        #expect(holds(op, "aws:PrincipalArn", ["arn:aws:iam::123456789012:user/a?ice"]))
        #expect(!holds(op, "aws:PrincipalArn", ["arn:aws:iam::123456789012:user/bob"]))
        #expect(!holds(op, "aws:PrincipalArn", ["arn:aws:iam::123456789012:USER/alice"]))
        #expect(holds(op, "secretsmanager:SecretId", ["arn:aws:secretsmanager:*:*:secret:db/*"]))
        // Each of the six parts is matched on its own: a `*` does not reach across colons.
        #expect(!holds(op, "secretsmanager:SecretId", ["arn:aws:secretsmanager:*"]))
        #expect(!holds(op, "aws:username", ["*"]))  // not an ARN
    }

    @Test(arguments: ["ArnNotLike", "ArnNotEquals"])
    func negative(op: String) {
        #expect(holds(op, "aws:PrincipalArn", ["arn:aws:iam::123456789012:user/bob"]))
        #expect(!holds(op, "aws:PrincipalArn", ["arn:aws:iam::123456789012:user/*"]))
    }
}

struct PolicyConditionIPTests {
    func ip(_ source: String?, _ cidrs: [String], op: String = "IpAddress") -> Bool {
        holds(op, "aws:SourceIp", cidrs, F.request(sourceIp: source))
    }

    @Test func ipv4() {
        #expect(ip("10.1.2.3", ["10.0.0.0/8"]))
        #expect(ip("10.1.2.3", ["192.168.0.0/16", "10.1.2.0/24"]))
        #expect(!ip("11.1.2.3", ["10.0.0.0/8"]))
        #expect(ip("10.1.2.3", ["10.1.2.3/32"]))
        #expect(!ip("10.1.2.4", ["10.1.2.3/32"]))
        #expect(ip("10.1.2.3", ["10.1.2.3"]))  // a bare address is a /32
        #expect(ip("203.0.113.9", ["0.0.0.0/0"]))
        #expect(ip("10.1.2.3", ["10.1.2.255/24"]))  // host bits ignored
        #expect(ip("10.1.2.130", ["10.1.2.128/25"]))
        #expect(!ip("10.1.2.127", ["10.1.2.128/25"]))
        #expect(ip("172.31.255.255", ["172.16.0.0/12"]))
        #expect(!ip("172.32.0.0", ["172.16.0.0/12"]))
    }

    @Test func ipv6() {
        #expect(ip("2001:db8::1", ["2001:db8::/32"]))
        #expect(!ip("2001:db9::1", ["2001:db8::/32"]))
        #expect(ip("2001:db8:0:0:0:0:0:1", ["2001:db8::1/128"]))
        #expect(!ip("2001:db8::2", ["2001:db8::1/128"]))
        #expect(ip("2001:DB8::abcd", ["2001:db8::/64"]))
        #expect(ip("fe80::1", ["::/0"]))
        #expect(ip("::1", ["::1"]))
        #expect(ip("::", ["::/128"]))
        #expect(ip("1:2:3:4:5:6:7::", ["1:2:3:4:5:6:7:0/128"]))
        #expect(ip("2001:db8::8000", ["2001:db8::8000/113"]))
        #expect(!ip("2001:db8::7fff", ["2001:db8::8000/113"]))
        #expect(ip("::ffff:192.0.2.1", ["::ffff:192.0.2.0/120"]) == false)  // the caller is treated as IPv4
        #expect(ip("::ffff:192.0.2.1", ["192.0.2.0/24"]))
    }

    @Test func familiesDoNotMix() {
        #expect(!ip("10.1.2.3", ["::/0"]))
        #expect(!ip("2001:db8::1", ["0.0.0.0/0"]))
    }

    @Test func notIpAddress() {
        #expect(ip("11.1.2.3", ["10.0.0.0/8"], op: "NotIpAddress"))
        #expect(!ip("10.1.2.3", ["10.0.0.0/8"], op: "NotIpAddress"))
        #expect(!ip("10.1.2.3", ["192.168.0.0/16", "10.0.0.0/8"], op: "NotIpAddress"))
        #expect(ip("2001:db8::1", ["10.0.0.0/8"], op: "NotIpAddress"))
    }

    @Test(arguments: ["local", "", "10.1.2", "10.1.2.3.4", "10.1.2.256", "10.01.2.3", "10.1.2.3/32", "1.2.3.4:443",
                      "2001:db8:::1", "2001:db8::1::2", ":1::2", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "2001:db8::g",
                      "fe80::1%eth0", "[::1]", "12345::", "1.2.3.4::", " 10.1.2.3"])
    func malformedSourceNeverMatches(source: String) {
        #expect(!ip(source, ["0.0.0.0/0", "::/0"]))
        #expect(!ip(source, ["10.0.0.0/8"], op: "NotIpAddress"))
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0/8", "nonsense", "10.0.0.0/ 8"])
    func malformedBlockMakesTheConditionFalse(block: String) {
        #expect(!ip("10.1.2.3", [block, "10.0.0.0/8"]))
        #expect(!ip("11.1.2.3", [block], op: "NotIpAddress"))
    }

    @Test func unknownSourceAddress() {
        #expect(!ip(nil, ["0.0.0.0/0"]))
        #expect(ip(nil, ["10.0.0.0/8"], op: "NotIpAddress"))  // absent key: negated holds
    }

    @Test func parsing() {
        #expect(IPAddress("192.0.2.1")?.bytes == [192, 0, 2, 1])
        #expect(IPAddress("0.0.0.0")?.bytes == [0, 0, 0, 0])
        #expect(IPAddress("::")?.bytes == Array(repeating: 0, count: 16))
        #expect(IPAddress("::ffff:1.2.3.4")?.bytes == Array(repeating: 0, count: 10) + [0xff, 0xff, 1, 2, 3, 4])
        #expect(IPAddress("0:0:0:0:0:ffff:1.2.3.4") == IPAddress("::ffff:1.2.3.4"))
        #expect(IPAddress("2001:db8::1")?.bytes == [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
        #expect(IPAddress("1::")?.bytes == [0, 1] + Array(repeating: 0, count: 14))
        #expect(IPAddress.Block("10.0.0.0/8")?.prefix == 8)
        #expect(IPAddress.Block("2001:db8::")?.prefix == 128)
    }
}

struct PolicyConditionDateTests {
    func date(_ op: String, _ values: [String], now: Double = F.now, key: String = "aws:CurrentTime") -> Bool {
        holds(op, key, values, F.request(now: now))
    }

    @Test func lessAndGreater() {
        #expect(date("DateLessThan", ["2023-11-15T00:00:00Z"]))
        #expect(!date("DateLessThan", ["2023-11-14T00:00:00Z"]))
        #expect(!date("DateLessThan", ["2023-11-14T22:13:20Z"]))
        #expect(date("DateLessThanEquals", ["2023-11-14T22:13:20Z"]))
        #expect(date("DateGreaterThan", ["2023-11-14T22:13:19Z"]))
        #expect(!date("DateGreaterThan", ["2023-11-14T22:13:20Z"]))
        #expect(date("DateGreaterThanEquals", ["2023-11-14T22:13:20Z"]))
        #expect(date("DateEquals", ["2023-11-14T22:13:20Z"]))
        #expect(!date("DateNotEquals", ["2023-11-14T22:13:20Z"]))
        #expect(date("DateNotEquals", ["2023-11-14T22:13:21Z"]))
        #expect(date("DateLessThan", ["2020-01-01", "2030-01-01"]))  // any value
    }

    @Test func epochSeconds() {
        #expect(date("DateLessThan", ["1700000001"]))
        #expect(!date("DateLessThan", ["1700000000"]))
        #expect(date("DateGreaterThan", ["1699999999.5"]))
        #expect(date("DateLessThan", ["1700000001"], key: "aws:EpochTime"))
        #expect(date("DateLessThan", ["1700000000.75"], now: 1_700_000_000.5))
    }

    @Test func timeZonesAndForms() {
        #expect(date("DateEquals", ["2023-11-15T00:13:20+02:00"]))
        #expect(date("DateEquals", ["2023-11-14T20:13:20-0200"]))
        #expect(date("DateEquals", ["2023-11-15T00:13:20+02"]))
        #expect(date("DateEquals", ["2023-11-14T22:13:20.000Z"]))
        #expect(date("DateEquals", ["2023-11-14T22:13:20"]))
        #expect(date("DateEquals", ["2023-11-14T22:13Z"], now: 1_699_999_980))
        #expect(date("DateEquals", ["2023-11-14"], now: 1_699_920_000))
    }

    @Test(arguments: ["", "tomorrow", "2023-13-01", "2023-02-29", "2023-11-14T24:00:00Z", "2023-11-14T22:60Z",
                      "2023-11-14 22:13:20Z", "2023-11-14T22:13:20ZZ", "2023-11-14T22:13:20+2", "2023-11-14T22:13:20+02:",
                      "1.2.3", ".5", "5.", "-1", "2023-11-14T22:13:20.Z"])
    func malformedDatesNeverMatch(value: String) {
        #expect(!date("DateLessThan", [value, "2100-01-01"]))
        #expect(!date("DateNotEquals", [value]))
    }

    @Test func parsingAndFormatting() {
        #expect(PolicyDate.parse("1970-01-01T00:00:00Z") == 0)
        #expect(PolicyDate.parse("2000-02-29") == 951_782_400)
        #expect(PolicyDate.parse("1969-12-31T23:59:59Z") == -1)
        #expect(PolicyDate.parse("2024-05-01T12:30:00.250+02:00") == 1_714_559_400.25)
        #expect(PolicyDate.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(PolicyDate.iso8601(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(PolicyDate.iso8601(-1) == "1969-12-31T23:59:59Z")
        #expect(PolicyDate.iso8601(F.now + 0.9) == "2023-11-14T22:13:20Z")
        for day in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = CivilCalendar.date(fromDays: day)
            #expect(CivilCalendar.days(year: y, month: m, day: d) == day)
        }
    }

    @Test func statementInATimeWindow() {
        let json = policy(condition: #"{"DateGreaterThan": {"aws:CurrentTime": "2023-01-01T00:00:00Z"}, "DateLessThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}"#)
        #expect(applies(json, F.request(now: F.now)))
        #expect(!applies(json, F.request(now: 1_704_067_200)))  // 2024-01-01T00:00:00Z
    }
}
