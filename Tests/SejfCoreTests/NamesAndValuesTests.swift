import Testing
@testable import SejfCore

struct SecretNameTests {
    @Test(arguments: ["db/credentials", "a", "A-Z_0.9+=@/x", String(repeating: "n", count: 512)])
    func acceptsAWSNames(name: String) throws {
        try SecretName.validate(name)
    }

    @Test(arguments: ["bad name", "semi;colon", "ünïcode", "tab\t", "star*", "back\\slash", "#hash"])
    func rejectsCharactersWithAWSMessage(name: String) {
        #expect(throws: SejfError(.invalidParameter,
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")) {
            try SecretName.validate(name)
        }
    }

    @Test func rejectsLength() {
        #expect(throws: SejfError.constraint("name", "Member must have length less than or equal to 512")) {
            try SecretName.validate(String(repeating: "n", count: 513))
        }
        #expect(throws: SejfError.constraint("name", "Member must have length greater than or equal to 1")) {
            try SecretName.validate("")
        }
    }
}

struct EnvironmentNameTests {
    @Test(arguments: ["dev", "prod", "staging", "eu-west-1", "q" + String(repeating: "a", count: 31)])
    func accepts(name: String) throws {
        _ = try EnvironmentName(name)
    }

    @Test(arguments: ["", "Prod", "1dev", "dev_1", "d" + String(repeating: "a", count: 32), "../etc", "dev prod"])
    func rejects(name: String) {
        #expect(throws: SejfError.self) { try EnvironmentName(name) }
    }

    @Test func variableSuffix() throws {
        #expect(try EnvironmentName("eu-west-1").variableSuffix == "EU_WEST_1")
    }
}

struct ARNTests {
    let arn = SecretARN(environment: try! EnvironmentName("prod"), account: "123456789012", name: "db/credentials", suffix: "AbCdEf")

    @Test func format() {
        #expect(arn.description == "arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf")
    }

    @Test func randomSuffixUsesTheAlphabet() {
        var seed = 0
        let suffix = SecretARN.randomSuffix { n in seed += 7; return seed % n }
        #expect(suffix.count == 6)
        #expect(suffix.allSatisfy { SecretARN.suffixAlphabet.contains($0) })
    }

    @Test func identifiersMatchByNameFullAndPartialARN() throws {
        #expect(try SecretIdentifier("db/credentials").matches(arn))
        #expect(try SecretIdentifier(arn.description).matches(arn))
        #expect(try SecretIdentifier("arn:aws:secretsmanager:prod:123456789012:secret:db/credentials").matches(arn))
        #expect(try !SecretIdentifier("arn:aws:secretsmanager:dev:123456789012:secret:db/credentials-AbCdEf").matches(arn))
        #expect(try !SecretIdentifier("arn:aws:secretsmanager:prod:999999999999:secret:db/credentials-AbCdEf").matches(arn))
        #expect(try !SecretIdentifier("arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-XXXXXX").matches(arn))
        #expect(try !SecretIdentifier("db/credentials-AbCdEf").matches(arn))
    }

    @Test func candidateNamesOfAFullARN() throws {
        #expect(try SecretIdentifier(arn.description).candidateNames == ["db/credentials-AbCdEf", "db/credentials"])
        #expect(try SecretIdentifier("plain").candidateNames == ["plain"])
    }

    @Test func secretIdLength() {
        #expect(throws: SejfError.self) { try SecretIdentifier("") }
        #expect(throws: SejfError.self) { try SecretIdentifier(String(repeating: "x", count: 2049)) }
    }
}

struct SecretValueTests {
    @Test func exactlyOneOfStringOrBinary() throws {
        #expect(try SecretValue.from(string: "x", binary: nil) == .string("x"))
        #expect(try SecretValue.from(string: nil, binary: [0]) == .binary([0]))
        #expect(try SecretValue.from(string: nil, binary: nil) == nil)
        #expect(throws: SejfError(.invalidParameter,
            "You can't specify both a binary secret value and a string secret value in the same secret.")) {
            try SecretValue.from(string: "x", binary: [1])
        }
    }

    @Test func sizeLimitIsInBytes() throws {
        _ = try SecretValue.from(string: String(repeating: "a", count: 65_536), binary: nil)
        #expect(throws: SejfError.constraint("secretString", "Member must have length less than or equal to 65536")) {
            try SecretValue.from(string: String(repeating: "a", count: 65_537), binary: nil)
        }
        // 32,769 two-byte characters are 65,538 bytes.
        #expect(throws: SejfError.self) { try SecretValue.from(string: String(repeating: "é", count: 32_769), binary: nil) }
        #expect(throws: SejfError.self) { try SecretValue.from(string: nil, binary: [UInt8](repeating: 0, count: 65_537)) }
        #expect(throws: SejfError.self) { try SecretValue.from(string: "", binary: nil) }
        #expect(throws: SejfError.self) { try SecretValue.from(string: nil, binary: []) }
    }

    @Test func tokens() throws {
        try VersionToken.validate(String(repeating: "a", count: 32))
        try VersionToken.validate(String(repeating: "a", count: 64))
        #expect(throws: SejfError.self) { try VersionToken.validate(String(repeating: "a", count: 31)) }
        #expect(throws: SejfError.self) { try VersionToken.validate(String(repeating: "a", count: 65)) }
        #expect(throws: SejfError.self) { try VersionToken.validate(String(repeating: "a", count: 31) + " ") }
    }

    @Test func description() throws {
        try SecretDescription.validate(String(repeating: "d", count: 2048))
        #expect(throws: SejfError.constraint("description", "Member must have length less than or equal to 2048")) {
            try SecretDescription.validate(String(repeating: "d", count: 2049))
        }
    }
}

struct TagRulesTests {
    @Test func acceptsAWSCharacters() throws {
        try TagRules.validate([Tag(key: "team name", value: "Płatności_1.0:/=+-@"), Tag(key: "sejf:kind", value: "")])
    }

    @Test func rejectsBadTags() {
        #expect(throws: SejfError.self) { try TagRules.validate([Tag(key: "", value: "v")]) }
        #expect(throws: SejfError.self) { try TagRules.validate([Tag(key: String(repeating: "k", count: 129), value: "v")]) }
        #expect(throws: SejfError.self) { try TagRules.validate([Tag(key: "k", value: String(repeating: "v", count: 257))]) }
        #expect(throws: SejfError.self) { try TagRules.validate([Tag(key: "aws:owner", value: "v")]) }
        #expect(throws: SejfError.self) { try TagRules.validate([Tag(key: "AWS:owner", value: "v")]) }
        #expect(throws: SejfError.self) { try TagRules.validate([Tag(key: "k*", value: "v")]) }
        #expect(throws: SejfError.self) { try TagRules.validate([Tag(key: "k", value: "a"), Tag(key: "k", value: "b")]) }
    }

    @Test func mergeReplacesValuesAndKeepsOrder() throws {
        let merged = try TagRules.merge([Tag(key: "a", value: "1"), Tag(key: "b", value: "2")],
                                        adding: [Tag(key: "b", value: "3"), Tag(key: "c", value: "4")])
        #expect(merged == [Tag(key: "a", value: "1"), Tag(key: "b", value: "3"), Tag(key: "c", value: "4")])
    }

    @Test func atMostFiftyTags() throws {
        let fifty = (0..<50).map { Tag(key: "k\($0)", value: "") }
        _ = try TagRules.merge([], adding: fifty)
        _ = try TagRules.merge(fifty, adding: [Tag(key: "k3", value: "changed")])
        #expect(throws: SejfError.self) { try TagRules.merge(fifty, adding: [Tag(key: "k50", value: "")]) }
    }

    @Test func configKind() {
        #expect(TagRules.isConfig([Tag(key: "sejf:kind", value: "config")]))
        #expect(!TagRules.isConfig([Tag(key: "sejf:kind", value: "secret")]))
        #expect(!TagRules.isConfig([]))
    }
}

struct DeletionTests {
    @Test func recoveryWindow() throws {
        #expect(try DeletionRequest(recoveryWindowInDays: nil, forceDeleteWithoutRecovery: nil) == .scheduled(days: 30))
        #expect(try DeletionRequest(recoveryWindowInDays: 7, forceDeleteWithoutRecovery: false) == .scheduled(days: 7))
        #expect(try DeletionRequest(recoveryWindowInDays: 30, forceDeleteWithoutRecovery: nil) == .scheduled(days: 30))
        #expect(try DeletionRequest(recoveryWindowInDays: nil, forceDeleteWithoutRecovery: true) == .immediate)
        for days in [0, 6, 31, -1] {
            #expect(throws: SejfError(.invalidParameter, "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")) {
                try DeletionRequest(recoveryWindowInDays: days, forceDeleteWithoutRecovery: nil)
            }
        }
        #expect(throws: SejfError(.invalidParameter, "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")) {
            try DeletionRequest(recoveryWindowInDays: 7, forceDeleteWithoutRecovery: true)
        }
    }

    @Test func expiry() {
        let state = DeletionState(deletedAt: 100, purgeAt: 200)
        #expect(!state.isExpired(at: 199))
        #expect(state.isExpired(at: 200))
    }
}
