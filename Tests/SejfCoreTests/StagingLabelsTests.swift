import Testing
@testable import SejfCore

struct StagingLabelsTests {
    typealias L = StagingLabels

    func labels(_ versions: [(String, [String])]) -> StagingLabels {
        StagingLabels(versions: versions.enumerated().map { VersionSummary(id: $1.0, createdAt: Double($0), stages: $1.1) })
    }

    func stages(_ l: StagingLabels) -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: l.versions.map { ($0.id, $0.stages) })
    }

    @Test func firstVersionIsCurrent() throws {
        var l = StagingLabels(versions: [])
        try l.addVersion(id: "v1", createdAt: 1, stages: nil)
        #expect(stages(l) == ["v1": [L.current]])
    }

    @Test func firstVersionGetsCurrentEvenWithCustomStages() throws {
        var l = StagingLabels(versions: [])
        try l.addVersion(id: "v1", createdAt: 1, stages: ["blue"])
        #expect(stages(l) == ["v1": ["blue", L.current]])
    }

    @Test func newValueMovesCurrentAndOldBecomesPrevious() throws {
        var l = labels([("v1", [L.current])])
        try l.addVersion(id: "v2", createdAt: 10, stages: nil)
        #expect(stages(l) == ["v1": [L.previous], "v2": [L.current]])
        try l.addVersion(id: "v3", createdAt: 20, stages: nil)
        #expect(stages(l) == ["v1": [], "v2": [L.previous], "v3": [L.current]])
    }

    @Test func customStagesDoNotMoveCurrent() throws {
        var l = labels([("v1", [L.current]), ("v2", ["canary"])])
        try l.addVersion(id: "v3", createdAt: 10, stages: [L.pending, "canary"])
        #expect(stages(l) == ["v1": [L.current], "v2": [], "v3": [L.pending, "canary"]])
    }

    @Test func labelsStayUniquePerSecret() throws {
        var l = labels([("v1", [L.current, "x"])])
        try l.addVersion(id: "v2", createdAt: 10, stages: [L.current, "x"])
        #expect(l.version(withStage: "x")?.id == "v2")
        #expect(l.versions.filter { $0.stages.contains(L.current) }.count == 1)
        #expect(stages(l)["v1"] == [L.previous])
    }

    @Test func stageListRules() {
        var l = labels([("v1", [L.current])])
        #expect(throws: SejfError.self) { try l.addVersion(id: "v2", createdAt: 1, stages: []) }
        #expect(throws: SejfError.self) { try l.addVersion(id: "v2", createdAt: 1, stages: (0...20).map { "s\($0)" }) }
        #expect(throws: SejfError.self) { try l.addVersion(id: "v2", createdAt: 1, stages: ["a", "a"]) }
        #expect(throws: SejfError.self) { try l.addVersion(id: "v2", createdAt: 1, stages: [String(repeating: "s", count: 257)]) }
        #expect(l.versions.count == 1)
    }

    @Test func moveCurrentRequiresRemoveFrom() throws {
        var l = labels([("v1", [L.previous]), ("v2", [L.current])])
        #expect(throws: SejfError(.invalidParameter,
            "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version v2, so you must explicitly reference that version in RemoveFromVersionId.")) {
            try l.updateStage(L.current, removeFrom: nil, moveTo: "v1")
        }
        try l.updateStage(L.current, removeFrom: "v2", moveTo: "v1")
        #expect(stages(l) == ["v1": [L.current], "v2": [L.previous]])
    }

    @Test func removeFromMustHoldTheLabel() {
        var l = labels([("v1", [L.previous]), ("v2", [L.current])])
        #expect(throws: SejfError(.invalidParameter, "Version stage AWSCURRENT not found in version v1")) {
            try l.updateStage(L.current, removeFrom: "v1", moveTo: "v2")
        }
    }

    @Test func unknownVersionsAreRejected() {
        var l = labels([("v1", [L.current])])
        #expect(throws: SejfError(.invalidParameter, "Not a valid version: nope")) {
            try l.updateStage("x", removeFrom: nil, moveTo: "nope")
        }
    }

    @Test func currentCannotBeRemovedWithoutAMove() {
        var l = labels([("v1", [L.current])])
        #expect(throws: SejfError.self) { try l.updateStage(L.current, removeFrom: "v1", moveTo: nil) }
        #expect(l.version(withStage: L.current)?.id == "v1")
    }

    @Test func customLabelAttachMoveAndRemove() throws {
        var l = labels([("v1", [L.current]), ("v2", [])])
        try l.updateStage("blue", removeFrom: nil, moveTo: "v2")
        #expect(l.version(withStage: "blue")?.id == "v2")
        try l.updateStage("blue", removeFrom: "v2", moveTo: "v1")
        #expect(stages(l) == ["v1": [L.current, "blue"], "v2": []])
        try l.updateStage("blue", removeFrom: "v1", moveTo: nil)
        #expect(l.version(withStage: "blue") == nil)
    }

    @Test func movingToTheHolderIsANoOp() throws {
        var l = labels([("v1", [L.previous]), ("v2", [L.current])])
        try l.updateStage(L.current, removeFrom: "v2", moveTo: "v2")
        #expect(stages(l) == ["v1": [L.previous], "v2": [L.current]])
    }

    @Test func atMostTwentyLabelsPerVersion() throws {
        var l = labels([("v1", [L.current] + (1...19).map { "s\($0)" }), ("v2", [])])
        #expect(throws: SejfError(.limitExceeded, "A secret version can have at most 20 staging labels.")) {
            try l.updateStage("one-more", removeFrom: nil, moveTo: "v1")
        }
    }

    @Test func pruningKeepsLabelledAndYoungVersions() throws {
        let day = StagingLabels.minimumAgeBeforePruning
        // 101 versions: v0 current, v1 previous, v2...v100 label-less; v2...v50 old, the rest young.
        var versions = [VersionSummary(id: "v0", createdAt: 0, stages: [L.current]),
                        VersionSummary(id: "v1", createdAt: 1, stages: [L.previous])]
        for i in 2...100 { versions.append(VersionSummary(id: "v\(i)", createdAt: i <= 50 ? Double(i) : day * 2, stages: [])) }
        let l = StagingLabels(versions: versions)
        let now = day * 2 + 10
        #expect(l.prunableVersionIds(now: now) == ["v2"])
        #expect(StagingLabels(versions: Array(versions.prefix(100))).prunableVersionIds(now: now) == [])
        // When every label-less version is younger than a day, nothing is pruned.
        #expect(l.prunableVersionIds(now: 40) == [])
    }

    @Test func pruningRemovesOldestFirstDownToOneHundred() {
        var versions = [VersionSummary(id: "cur", createdAt: 500_000, stages: [L.current])]
        for i in 0..<105 { versions.append(VersionSummary(id: "old\(i)", createdAt: Double(i), stages: [])) }
        let l = StagingLabels(versions: versions)
        #expect(l.prunableVersionIds(now: 1_000_000) == ["old0", "old1", "old2", "old3", "old4", "old5"])
    }
}

struct SecretFilterTests {
    let subject = SecretFilter.Subject(name: "db/credentials", description: "Main Postgres login",
                                       tags: [Tag(key: "team", value: "payments"), Tag(key: "sejf:kind", value: "config")],
                                       primaryRegion: "prod")

    func matches(_ key: String, _ values: [String]) -> Bool {
        SecretFilter.matches([SecretFilter(Key: key, Values: values)], subject)
    }

    @Test func namePrefixesNarrowOnlyWithoutNegation() {
        #expect(SecretFilter.namePrefixes([]) == nil)
        #expect(SecretFilter.namePrefixes([SecretFilter(Key: "tag-key", Values: ["team"])]) == nil)
        #expect(SecretFilter.namePrefixes([SecretFilter(Key: "name", Values: ["db/", "!db/old"])]) == nil)
        #expect(SecretFilter.namePrefixes([SecretFilter(Key: "all", Values: ["x"]), SecretFilter(Key: "name", Values: ["db/", "api/"])])
                == ["db/", "api/"])
    }

    @Test func prefixMatches() {
        #expect(matches("name", ["db/"]))
        #expect(!matches("name", ["DB/"]))
        #expect(!matches("name", ["credentials"]))
        #expect(matches("description", ["main post"]))
        #expect(matches("tag-key", ["tea"]))
        #expect(matches("tag-value", ["pay"]))
        #expect(matches("primary-region", ["prod"]))
        #expect(!matches("owning-service", ["rds"]))
    }

    @Test func allMatchesWordsCaseInsensitively() {
        #expect(matches("all", ["postgres"]))
        #expect(matches("all", ["CREDENTIALS"]))
        #expect(matches("all", ["payments"]))
        #expect(!matches("all", ["mysql"]))
    }

    @Test func valuesAreAlternativesAndFiltersCombine() {
        #expect(matches("name", ["api/", "db/"]))
        #expect(!SecretFilter.matches([SecretFilter(Key: "name", Values: ["db/"]), SecretFilter(Key: "tag-key", Values: ["owner"])], subject))
    }

    @Test func negation() {
        #expect(!matches("name", ["!db/"]))
        #expect(matches("name", ["!api/"]))
        #expect(!matches("tag-key", ["!sejf:"]))
    }

    @Test func validation() throws {
        try SecretFilter.validate([SecretFilter(Key: "name", Values: ["db/", "!x"])])
        #expect(throws: SejfError.self) { try SecretFilter.validate([SecretFilter(Key: "color", Values: ["x"])]) }
        #expect(throws: SejfError.self) { try SecretFilter.validate([SecretFilter(Key: "name", Values: [])]) }
        #expect(throws: SejfError.self) { try SecretFilter.validate([SecretFilter(Key: "name", Values: ["a*"])]) }
        #expect(throws: SejfError.self) { try SecretFilter.validate((0...10).map { _ in SecretFilter(Key: "name", Values: ["a"]) }) }
    }

    @Test func listOrderTokens() throws {
        let byName = try SecretListOrder(sortBy: "name", sortOrder: "desc")
        let position = SecretListOrder.Position(value: 0, name: "db/pass+word=1")
        #expect(try byName.position(after: byName.token(after: position)) == position)
        #expect(try byName.position(after: nil) == nil)
        #expect(byName.position(name: "x", createdAt: 1, lastChangedAt: 2, lastAccessedAt: 3) == .init(value: 0, name: "x"))
        let byAccess = try SecretListOrder(sortBy: "last-accessed-date", sortOrder: nil)
        #expect(byAccess.position(name: "x", createdAt: 1, lastChangedAt: 2, lastAccessedAt: nil) == .init(value: 0, name: "x"))
        let invalid = SejfError(.invalidNextToken, "The NextToken value is invalid.")
        #expect(throws: invalid) { try byAccess.position(after: byName.token(after: position)) }
        for forged in ["garbage", "sejf-list-", "sejf-list-!!!", "sejf-list-e30", "sejf-page-0"] {
            #expect(throws: invalid) { try byName.position(after: forged) }
        }
        #expect(throws: SejfError.self) { try SecretListOrder(sortBy: "size", sortOrder: nil) }
        #expect(throws: SejfError.self) { try SecretListOrder(sortBy: nil, sortOrder: "sideways") }
    }

    @Test func pageTokens() throws {
        #expect(try PageToken.decode(nil) == 0)
        #expect(try PageToken.decode(PageToken.encode(offset: 42)) == 42)
        #expect(throws: SejfError(.invalidNextToken, "The NextToken value is invalid.")) { try PageToken.decode("garbage") }
        #expect(throws: SejfError.self) { try PageToken.decode("sejf-page--1") }
        let (page, next) = PageToken.page(Array(0..<5), offset: 2, maxResults: 2)
        #expect(page == [2, 3])
        #expect(try PageToken.decode(next) == 4)
        #expect(PageToken.page(Array(0..<5), offset: 4, maxResults: 2).1 == nil)
        #expect(PageToken.page(Array(0..<5), offset: 99, maxResults: 2).0.isEmpty)
    }
}
