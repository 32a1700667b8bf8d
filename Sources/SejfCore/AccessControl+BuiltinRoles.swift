extension AccessControl {
    /// The roles every installation has; their names are reserved.
    ///
    /// - `admin`: every action on every secret, including resource policies and replication.
    /// - `reader`: ``readerActions`` on every secret — metadata, values, versions, policies.
    /// - `writer`: `reader`, plus ``writerActions`` — create, change, tag, delete, restore and
    ///   rotate secrets, and generate passwords.
    /// - `config-reader`: ``readerActions``, but only on secrets tagged `sejf:kind=config`.
    ///
    /// Kept for `admin` only: `PutResourcePolicy`, `DeleteResourcePolicy` and
    /// `ValidateResourcePolicy`, because a resource policy decides who else gets access (a writer
    /// could otherwise hand a secret to anyone); and `ReplicateSecretToRegions`,
    /// `RemoveRegionsFromReplication` and `StopReplicationToReplica`, because replication copies a
    /// secret across environments, which are isolation boundaries (prod into dev).
    public static let builtinRoles: [AccessRole] = [
        AccessRole(name: "admin", description: "Every action on every secret.",
                   rules: [AccessRule(actions: ["*"], secrets: ["*"])], isBuiltIn: true),
        AccessRole(name: "reader", description: "Describe, list and read every secret, its versions and its resource policy.",
                   rules: [AccessRule(actions: readerActions, secrets: ["*"])], isBuiltIn: true),
        AccessRole(name: "writer", description: "Read, create, change, tag, rotate, delete and restore every secret.",
                   rules: [AccessRule(actions: readerActions + writerActions, secrets: ["*"])], isBuiltIn: true),
        AccessRole(name: "config-reader", description: "Describe, list and read configuration (secrets tagged sejf:kind=config).",
                   rules: [AccessRule(actions: readerActions, secrets: ["*"],
                                      tags: [TagRules.kindKey: TagRules.configKind])], isBuiltIn: true),
    ]

    /// The actions of `reader` and `config-reader`.
    public static let readerActions = [
        "DescribeSecret", "GetSecretValue", "BatchGetSecretValue", "ListSecrets", "ListSecretVersionIds",
        "GetResourcePolicy",
    ].map { "\(PolicyAction.service):\($0)" }

    /// The actions `writer` has beyond ``readerActions``.
    public static let writerActions = [
        "CreateSecret", "PutSecretValue", "UpdateSecret", "UpdateSecretVersionStage", "TagResource", "UntagResource",
        "DeleteSecret", "RestoreSecret", "RotateSecret", "CancelRotateSecret", "GetRandomPassword",
    ].map { "\(PolicyAction.service):\($0)" }

    /// Actions whose resource is `*`, not one secret: decide them with ``AccessRequest/secret``
    /// `nil`. For `ListSecrets`, filter the answer with ``canSee(_:for:)``; for
    /// `BatchGetSecretValue`, check `GetSecretValue` on each secret as well.
    public static let accountLevelActions = Set(
        ["GetRandomPassword", "ListSecrets", "BatchGetSecretValue"].map { "\(PolicyAction.service):\($0)" })
}
