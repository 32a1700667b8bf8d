/// One version of a secret as the label rules see it: id, creation time, staging labels.
public struct VersionSummary: Equatable, Sendable {
    public let id: String
    public let createdAt: Double
    /// Staging labels, in the order they were attached.
    public var stages: [String]

    public init(id: String, createdAt: Double, stages: [String]) {
        self.id = id
        self.createdAt = createdAt
        self.stages = stages
    }
}

/// The staging-label rules of AWS Secrets Manager over a secret's versions.
///
/// A label is on at most one version of a secret. A new value takes `AWSCURRENT` unless other
/// labels are asked for, and the version that loses `AWSCURRENT` gets `AWSPREVIOUS`. A version has
/// at most 20 labels. Versions without labels are "deprecated" and pruned once a secret has more
/// than 100 versions, oldest first, never one younger than 24 hours.
public struct StagingLabels: Equatable, Sendable {
    public static let current = "AWSCURRENT"
    public static let previous = "AWSPREVIOUS"
    public static let pending = "AWSPENDING"
    public static let maxStagesPerVersion = 20
    public static let versionsBeforePruning = 100
    public static let minimumAgeBeforePruning: Double = 24 * 3600

    /// The versions, oldest first.
    public private(set) var versions: [VersionSummary]

    /// - Parameter versions: in creation order; the (stable) sort by creation time keeps that
    ///   order among versions created at the same instant.
    public init(versions: [VersionSummary]) {
        self.versions = versions.sorted { $0.createdAt < $1.createdAt }
    }

    public func version(id: String) -> VersionSummary? { versions.first { $0.id == id } }
    public func version(withStage stage: String) -> VersionSummary? { versions.first { $0.stages.contains(stage) } }

    /// Label → version id, for storage.
    public var labelMap: [String: String] {
        var map: [String: String] = [:]
        for v in versions { for s in v.stages { map[s] = v.id } }
        return map
    }

    /// Validates a `VersionStages` list from a request.
    public static func validate(stages: [String]) throws {
        try SejfError.checkLength("versionStages", stages.count, min: 1, max: maxStagesPerVersion)
        for stage in stages {
            try SejfError.checkLength("versionStages.member", stage.count, min: 1, max: 256)
        }
        guard Set(stages).count == stages.count else {
            throw SejfError(.invalidParameter, "The VersionStages list contains a staging label more than once.")
        }
    }

    /// Adds a new version (as `PutSecretValue`/`CreateSecret` do) with `stages`, or `AWSCURRENT`
    /// when `stages` is nil. Labels it takes are removed from the versions that had them.
    public mutating func addVersion(id: String, createdAt: Double, stages requested: [String]?) throws {
        precondition(version(id: id) == nil, "version ids are unique per secret")
        var stages = requested ?? [Self.current]
        try Self.validate(stages: stages)
        if version(withStage: Self.current) == nil, !stages.contains(Self.current) {
            stages.append(Self.current)  // the first version of a secret is always current
        }
        if stages.count > Self.maxStagesPerVersion { throw Self.tooManyStages }
        let previousCurrent = stages.contains(Self.current) ? version(withStage: Self.current)?.id : nil
        for stage in stages { detach(stage) }
        versions.append(VersionSummary(id: id, createdAt: createdAt, stages: stages))
        if let previousCurrent { attachPrevious(to: previousCurrent) }
    }

    /// `UpdateSecretVersionStage`: moves `stage` from `removeFrom` to `moveTo` (either may be nil).
    public mutating func updateStage(_ stage: String, removeFrom: String?, moveTo: String?) throws {
        try SejfError.checkLength("versionStage", stage.count, min: 1, max: 256)
        for id in [removeFrom, moveTo].compactMap({ $0 }) where version(id: id) == nil {
            throw SejfError(.invalidParameter, "Not a valid version: \(id)")
        }
        let holder = version(withStage: stage)?.id
        if let removeFrom, holder != removeFrom {
            throw SejfError(.invalidParameter, "Version stage \(stage) not found in version \(removeFrom)")
        }
        if let moveTo, let holder, holder != moveTo, removeFrom == nil {
            throw SejfError(.invalidParameter,
                "The parameter RemoveFromVersionId can't be empty. Staging label \(stage) is currently attached to version \(holder), so you must explicitly reference that version in RemoveFromVersionId.")
        }
        if stage == Self.current, removeFrom != nil, moveTo == nil {
            throw SejfError(.invalidParameter,
                "You can't remove the staging label AWSCURRENT from a version without moving it to another version with MoveToVersionId.")
        }
        guard moveTo != holder || moveTo == nil else { return }  // already there: nothing to do
        if let moveTo {
            let target = version(id: moveTo)!
            if !target.stages.contains(stage), target.stages.count >= Self.maxStagesPerVersion { throw Self.tooManyStages }
        }
        detach(stage)
        if let moveTo { attach(stage, to: moveTo) }
        if stage == Self.current, let removeFrom, let moveTo {
            detach(Self.previous, from: moveTo)
            attachPrevious(to: removeFrom)
        }
    }

    /// Ids of versions to delete so the secret keeps at most 100 versions: label-less ones,
    /// oldest first, none younger than 24 hours at `now`.
    public func prunableVersionIds(now: Double) -> [String] {
        let excess = versions.count - Self.versionsBeforePruning
        guard excess > 0 else { return [] }
        return versions
            .filter { $0.stages.isEmpty && now - $0.createdAt >= Self.minimumAgeBeforePruning }
            .prefix(excess)
            .map(\.id)
    }

    /// Removes the versions with the given ids.
    public mutating func removeVersions(_ ids: Set<String>) {
        versions.removeAll { ids.contains($0.id) }
    }

    // MARK: - Mechanics

    private mutating func detach(_ stage: String, from id: String? = nil) {
        for i in versions.indices where id == nil || versions[i].id == id {
            versions[i].stages.removeAll { $0 == stage }
        }
    }

    private mutating func attach(_ stage: String, to id: String) {
        guard let i = versions.firstIndex(where: { $0.id == id }), !versions[i].stages.contains(stage) else { return }
        versions[i].stages.append(stage)
    }

    /// `AWSPREVIOUS` follows the version that lost `AWSCURRENT` (AWS moves it automatically).
    private mutating func attachPrevious(to id: String) {
        detach(Self.previous)
        attach(Self.previous, to: id)
    }

    private static let tooManyStages = SejfError(.limitExceeded,
        "A secret version can have at most \(maxStagesPerVersion) staging labels.")
}
