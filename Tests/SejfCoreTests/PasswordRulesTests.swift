import Testing
@testable import SejfCore

/// A seeded xorshift64* source: deterministic, good enough to exercise the rules.
private struct XorShift {
    var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func uniform(_ n: Int) -> Int {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return Int(((state &* 0x2545_F491_4F6C_DD1D) >> 11) % UInt64(n))
    }
}

struct PasswordRulesTests {
    typealias P = PasswordRules

    private func generate(_ request: PasswordRequest, seed: UInt64) throws -> String {
        var rng = XorShift(seed: seed)
        return try P.generate(request) { rng.uniform($0) }
    }

    private func passwords(_ request: PasswordRequest, count: Int = 300) throws -> [String] {
        try (1...UInt64(count)).map { try generate(request, seed: $0) }
    }

    @Test func xorshiftStaysInRange() {
        var rng = XorShift(seed: 7)
        for n in 1...200 { #expect((0..<n).contains(rng.uniform(n))) }
    }

    @Test func requestDefaultsAreAWS() {
        let r = PasswordRequest()
        #expect(r.passwordLength == 32)
        #expect(r.excludeCharacters == "")
        #expect(!r.excludeNumbers && !r.excludePunctuation && !r.excludeUppercase && !r.excludeLowercase)
        #expect(!r.includeSpace)
        #expect(r.requireEachIncludedType)
    }

    @Test func punctuationIsExactlyAWSs() {
        #expect(String(P.punctuation) == ##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##)
        #expect(P.punctuation.count == 32)
    }

    @Test func defaultsGive32CharactersWithEveryType() throws {
        for password in try passwords(PasswordRequest()) {
            #expect(password.count == 32)
            #expect(password.contains(where: P.lowercase.contains))
            #expect(password.contains(where: P.uppercase.contains))
            #expect(password.contains(where: P.digits.contains))
            #expect(password.contains(where: P.punctuation.contains))
            #expect(!password.contains(" "))
        }
    }

    @Test func sameSeedSamePassword() throws {
        #expect(try generate(PasswordRequest(), seed: 42) == generate(PasswordRequest(), seed: 42))
        #expect(try generate(PasswordRequest(), seed: 42) != generate(PasswordRequest(), seed: 43))
    }

    enum Exclusion: CaseIterable { case numbers, punctuation, uppercase, lowercase }

    @Test(arguments: Exclusion.allCases)
    func eachExclusionIsHonoured(_ exclusion: Exclusion) throws {
        let request = PasswordRequest(
            excludeNumbers: exclusion == .numbers, excludePunctuation: exclusion == .punctuation,
            excludeUppercase: exclusion == .uppercase, excludeLowercase: exclusion == .lowercase)
        let excluded: [Character] = switch exclusion {
        case .numbers: P.digits
        case .punctuation: P.punctuation
        case .uppercase: P.uppercase
        case .lowercase: P.lowercase
        }
        let kept = [P.lowercase, P.uppercase, P.digits, P.punctuation].filter { $0 != excluded }
        for password in try passwords(request) {
            #expect(password.count == 32)
            #expect(!password.contains(where: excluded.contains))
            for type in kept { #expect(password.contains(where: type.contains)) }
        }
    }

    @Test func everyCombinationOfExclusionsLeavesOnlyTheRest() throws {
        let types = [P.digits, P.punctuation, P.uppercase, P.lowercase]
        for mask in 0..<15 {  // 15 = everything excluded, tested separately
            let flags = (0..<4).map { mask & (1 << $0) != 0 }
            let request = PasswordRequest(passwordLength: 12, excludeNumbers: flags[0], excludePunctuation: flags[1],
                                          excludeUppercase: flags[2], excludeLowercase: flags[3])
            for password in try passwords(request, count: 40) {
                for (type, excluded) in zip(types, flags) {
                    #expect(password.contains(where: type.contains) == !excluded)
                }
            }
        }
    }

    @Test func excludeCharactersIsHonoured() throws {
        let excluded = "aeiouAEIOU01234!\"#$%'\\`"
        for password in try passwords(PasswordRequest(passwordLength: 64, excludeCharacters: excluded)) {
            #expect(!password.contains(where: excluded.contains))
            #expect(password.contains(where: P.digits.contains))
            #expect(password.contains(where: P.punctuation.contains))
        }
    }

    @Test func aTypeEmptiedByExcludeCharactersIsNoLongerRequired() throws {
        let request = PasswordRequest(passwordLength: 3, excludeCharacters: "0123456789" + String(P.punctuation))
        for password in try passwords(request) {
            #expect(password.count == 3)
            #expect(password.allSatisfy { $0.isLetter })
            #expect(password.contains(where: P.lowercase.contains) && password.contains(where: P.uppercase.contains))
        }
    }

    @Test func includeSpaceAddsSpaceAsARequiredType() throws {
        for password in try passwords(PasswordRequest(passwordLength: 5, includeSpace: true)) {
            #expect(password.count == 5)
            #expect(password.contains(" "))
        }
        #expect(throws: SejfError(.invalidParameter, "Password length is too short based on the required types.")) {
            try P.generate(PasswordRequest(passwordLength: 4, includeSpace: true)) { _ in 0 }
        }
    }

    @Test func spaceAloneIsAnAlphabet() throws {
        let request = PasswordRequest(passwordLength: 3, excludeNumbers: true, excludePunctuation: true,
                                      excludeUppercase: true, excludeLowercase: true, includeSpace: true)
        #expect(try generate(request, seed: 1) == "   ")
    }

    @Test func guaranteedCharactersLandAtEveryPosition() throws {
        // Only "!" survives of punctuation, so it appears (almost) only because it is required;
        // across seeds it must turn up at every index, never at a fixed one.
        let request = PasswordRequest(passwordLength: 8, excludeCharacters: String(P.punctuation.dropFirst()))
        var positions = Set<Int>()
        for password in try passwords(request, count: 500) {
            let chars = Array(password)
            #expect(chars.contains("!"))
            for (i, c) in chars.enumerated() where c == "!" { positions.insert(i) }
        }
        #expect(positions == Set(0..<8))
    }

    @Test func lengthBounds() throws {
        #expect(try generate(PasswordRequest(passwordLength: 4096), seed: 3).count == 4096)
        #expect(try generate(PasswordRequest(passwordLength: 4), seed: 3).count == 4)
        #expect(try generate(PasswordRequest(passwordLength: 1, requireEachIncludedType: false), seed: 3).count == 1)
        #expect(throws: SejfError.constraint("passwordLength", "Member must have value greater than or equal to 1")) {
            try P.generate(PasswordRequest(passwordLength: 0)) { _ in 0 }
        }
        #expect(throws: SejfError.constraint("passwordLength", "Member must have value less than or equal to 4096")) {
            try P.generate(PasswordRequest(passwordLength: 4097)) { _ in 0 }
        }
        #expect(throws: SejfError.constraint("passwordLength", "Member must have value greater than or equal to 1")) {
            try P.validate(PasswordRequest(passwordLength: -5))
        }
    }

    @Test func lengthFourWithFourTypesHasOneOfEach() throws {
        for password in try passwords(PasswordRequest(passwordLength: 4)) {
            for type in [P.lowercase, P.uppercase, P.digits, P.punctuation] {
                #expect(password.filter(type.contains).count == 1)
            }
        }
    }

    @Test func moreRequiredTypesThanCharacters() {
        for length in 1...3 {
            #expect(throws: SejfError(.invalidParameter, "Password length is too short based on the required types.")) {
                try P.generate(PasswordRequest(passwordLength: length)) { _ in 0 }
            }
        }
    }

    @Test func everythingExcludedIsInvalid() {
        let byFlags = PasswordRequest(excludeNumbers: true, excludePunctuation: true, excludeUppercase: true, excludeLowercase: true)
        let byCharacters = PasswordRequest(
            excludeCharacters: String(P.lowercase + P.uppercase + P.digits + P.punctuation))
        let bySpaceToo = PasswordRequest(
            excludeCharacters: " ", excludeNumbers: true, excludePunctuation: true, excludeUppercase: true,
            excludeLowercase: true, includeSpace: true)
        for request in [byFlags, byCharacters, bySpaceToo] {
            let error = #expect(throws: SejfError.self) { try P.generate(request) { _ in 0 } }
            #expect(error?.code == .invalidParameter)
            #expect(error?.message.contains("excludes every character") == true)
        }
    }

    @Test func excludeCharactersLength() throws {
        try P.validate(PasswordRequest(excludeCharacters: String(repeating: "a", count: 4096)))
        #expect(throws: SejfError.constraint("excludeCharacters", "Member must have length less than or equal to 4096")) {
            try P.validate(PasswordRequest(excludeCharacters: String(repeating: "a", count: 4097)))
        }
    }

    @Test(arguments: [false, true])
    func distributionCoversTheAlphabetAndNothingElse(includeSpace: Bool) throws {
        let request = PasswordRequest(passwordLength: 4096, includeSpace: includeSpace)
        var counts: [Character: Int] = [:]
        for seed: UInt64 in 1...5 {  // 20,480 characters
            for c in try generate(request, seed: seed) { counts[c, default: 0] += 1 }
        }
        let alphabet = Set(P.lowercase + P.uppercase + P.digits + P.punctuation + (includeSpace ? P.space : []))
        #expect(Set(counts.keys) == alphabet)
        // Uniform over 94–95 characters: about 216 each; allow a wide margin.
        #expect(counts.values.allSatisfy { (120...320).contains($0) })
    }

    @Test func distributionWithExclusionsNeverLeaks() throws {
        let request = PasswordRequest(passwordLength: 4096, excludeCharacters: "lI1O0", excludePunctuation: true)
        var seen = Set<Character>()
        for seed: UInt64 in 1...5 { seen.formUnion(try generate(request, seed: seed)) }
        #expect(seen == Set(P.lowercase + P.uppercase + P.digits).subtracting("lI1O0"))
    }
}
