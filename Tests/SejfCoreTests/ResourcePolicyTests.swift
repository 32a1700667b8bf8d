import Testing
@testable import SejfCore

private func policy(_ statements: String, version: String = #""Version": "2012-10-17", "#) -> String {
    #"{\#(version)"Statement": \#(statements)}"#
}

private func statement(
    effect: String = #""Effect": "Allow""#,
    principal: String = #""Principal": {"AWS": "arn:aws:iam::123456789012:role/api"}"#,
    action: String = #""Action": "secretsmanager:GetSecretValue""#,
    resource: String = #""Resource": "*""#,
    extra: String = ""
) -> String {
    "{" + [effect, principal, action, resource, extra].filter { !$0.isEmpty }.joined(separator: ", ") + "}"
}

struct ResourcePolicyParsingTests {
    /// AWS's example from the `PutResourcePolicy` / `ValidateResourcePolicy` reference.
    let awsExample = "{\n\"Version\":\"2012-10-17\",\n\"Statement\":[{\n\"Effect\":\"Allow\",\n\"Principal\":{\n\"AWS\":\"arn:aws:iam::123456789012:root\"\n},\n\"Action\":\"secretsmanager:GetSecretValue\",\n\"Resource\":\"*\"\n}]\n}"

    @Test func parsesAWSsExample() throws {
        let p = try ResourcePolicy(json: awsExample)
        #expect(p.version == "2012-10-17")
        #expect(p.statements == [PolicyStatement(
            effect: .allow, principal: .aws(["arn:aws:iam::123456789012:root"]),
            actions: .only(["secretsmanager:GetSecretValue"]), resources: .only(["*"]))])
        #expect(!p.isPublic)
        #expect(try ResourcePolicy.validate(awsExample) == PolicyValidation(errors: []))
        #expect(try ResourcePolicy.validate(awsExample).passed)
    }

    @Test func singleStatementObject() throws {
        let p = try ResourcePolicy(json: policy(statement()))
        #expect(p.statements.count == 1)
        #expect(p.statements[0].principal.awsIdentifiers == ["arn:aws:iam::123456789012:role/api"])
    }

    @Test func statementsArrayWithEveryElement() throws {
        let json = policy("""
            [
              {"Sid": "ReadForApi", "Effect": "Allow",
               "Principal": {"AWS": ["arn:aws:iam::123456789012:role/api", "123456789012"], "Service": "lambda.amazonaws.com"},
               "Action": ["secretsmanager:GetSecretValue", "secretsmanager:Describe*"],
               "Resource": ["arn:aws:secretsmanager:prod:123456789012:secret:db/*"],
               "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012",
                                              "secretsmanager:VersionStage": ["AWSCURRENT", "AWSPREVIOUS"]},
                             "Bool": {"aws:SecureTransport": true},
                             "NumericLessThan": {"secretsmanager:RecoveryWindowInDays": 30}}},
              {"Sid": "NoDeleting", "Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:role/admin"},
               "NotAction": "secretsmanager:Get*", "NotResource": "arn:aws:secretsmanager:prod:123456789012:secret:public/*"}
            ]
            """, version: #""Version": "2008-10-17", "Id": "db-policy", "#)
        let p = try ResourcePolicy(json: json)
        #expect(p.version == "2008-10-17")
        #expect(p.id == "db-policy")
        #expect(p.statements.count == 2)
        let read = p.statements[0]
        #expect(read.sid == "ReadForApi")
        #expect(read.effect == .allow)
        #expect(read.principal.map == ["AWS": ["arn:aws:iam::123456789012:role/api", "123456789012"],
                                       "Service": ["lambda.amazonaws.com"]])
        #expect(read.actions == .only(["secretsmanager:GetSecretValue", "secretsmanager:Describe*"]))
        #expect(read.resources == .only(["arn:aws:secretsmanager:prod:123456789012:secret:db/*"]))
        #expect(read.conditions == [
            PolicyCondition(op: "Bool", key: "aws:SecureTransport", values: ["true"]),
            PolicyCondition(op: "NumericLessThan", key: "secretsmanager:RecoveryWindowInDays", values: ["30"]),
            PolicyCondition(op: "StringEquals", key: "aws:PrincipalAccount", values: ["123456789012"]),
            PolicyCondition(op: "StringEquals", key: "secretsmanager:VersionStage", values: ["AWSCURRENT", "AWSPREVIOUS"]),
        ])
        let deny = p.statements[1]
        #expect(deny.effect == .deny)
        #expect(deny.principal == PolicyPrincipal(map: ["AWS": ["arn:aws:iam::123456789012:role/admin"]], negated: true))
        #expect(deny.actions == .except(["secretsmanager:Get*"]))
        #expect(deny.resources == .except(["arn:aws:secretsmanager:prod:123456789012:secret:public/*"]))
        #expect(!p.isPublic)
        // The grammar is fine; only the conditions Sejf cannot evaluate are reported.
        let findings = try ResourcePolicy.validate(json).errors
        #expect(findings.map(\.checkName) == ["SYNTAX_CHECK", "SYNTAX_CHECK", "SYNTAX_CHECK"])
        #expect(findings.allSatisfy { $0.errorMessage.contains("which Sejf does not evaluate") })
        #expect(findings.map { $0.errorMessage.contains("aws:SecureTransport") || $0.errorMessage.contains("RecoveryWindowInDays")
            || $0.errorMessage.contains("VersionStage") } == [true, true, true])
    }

    @Test func versionIsOptionalAndFederatedIsOpaque() throws {
        let p = try ResourcePolicy(json: policy(statement(principal: #""Principal": {"Federated": "cognito-identity.amazonaws.com"}"#), version: ""))
        #expect(p.version == nil)
        #expect(p.statements[0].principal.map == ["Federated": ["cognito-identity.amazonaws.com"]])
        #expect(p.statements[0].principal.awsIdentifiers == [])
    }

    /// Documents that are JSON but break the policy grammar: `MalformedPolicyDocumentException` from
    /// `PutResourcePolicy`, `SYNTAX_CHECK` findings from `ValidateResourcePolicy`.
    @Test(arguments: [
        ("{}", "This resource policy contains no statement: Statement is required."),
        (#"{"Version": "2012-10-17"}"#, "This resource policy contains no statement: Statement is required."),
        (policy("[]"), "This resource policy contains no statement: Statement is required."),
        (policy(#""x""#), "This resource policy contains an invalid Statement: it must be an object or an array of objects."),
        (policy(#"["x"]"#), "Statement 1 must be a JSON object."),
        (policy(statement(), version: #""Version": "2020-01-01", "#), #"This resource policy contains an invalid Version: it must be "2012-10-17" or "2008-10-17"."#),
        (policy(statement(), version: #""Version": 2012, "#), #"This resource policy contains an invalid Version: it must be "2012-10-17" or "2008-10-17"."#),
        (policy(statement(), version: #""Id": 7, "#), "This resource policy contains an invalid Id: it must be a string."),
        (policy(statement(), version: #""Extra": 1, "#), "This resource policy contains an unsupported top-level element: Extra."),
        (policy(statement(effect: "")), "Statement 1 is missing the required element Effect."),
        (policy(statement(effect: #""Effect": "allow""#)), #"Statement 1 has an invalid Effect: it must be "Allow" or "Deny"."#),
        (policy(statement(effect: #""Effect": "Permit""#)), #"Statement 1 has an invalid Effect: it must be "Allow" or "Deny"."#),
        (policy(statement(effect: #""Effect": true"#)), #"Statement 1 has an invalid Effect: it must be "Allow" or "Deny"."#),
        (policy(statement(action: "")), "Statement 1 is missing the required element Action (or NotAction)."),
        (policy(statement(extra: #""NotAction": "secretsmanager:DeleteSecret""#)), "Statement 1 can't contain both Action and NotAction."),
        (policy(statement(action: #""Action": []"#)), "Statement 1 has an invalid Action: it must be a string or a non-empty array of strings."),
        (policy(statement(action: #""Action": 5"#)), "Statement 1 has an invalid Action: it must be a string or a non-empty array of strings."),
        (policy(statement(action: #""Action": ["secretsmanager:GetSecretValue", 5]"#)), "Statement 1 has an invalid Action: it must be a string or a non-empty array of strings."),
        (policy(statement(action: #""NotAction": """#)), "Statement 1 has an invalid NotAction: it must be a string or a non-empty array of strings."),
        (policy(statement(action: #""Action": "GetSecretValue""#)), #"Statement 1 has an invalid action 'GetSecretValue': use "*" or service:action, as in "secretsmanager:GetSecretValue"."#),
        (policy(statement(action: #""Action": "secretsmanager:""#)), #"Statement 1 has an invalid action 'secretsmanager:': use "*" or service:action, as in "secretsmanager:GetSecretValue"."#),
        (policy(statement(action: #""Action": "Secrets Manager:Get""#)), #"Statement 1 has an invalid action 'Secrets Manager:Get': use "*" or service:action, as in "secretsmanager:GetSecretValue"."#),
        (policy(statement(resource: "")), "Statement 1 is missing the required element Resource (or NotResource)."),
        (policy(statement(extra: #""NotResource": "*""#)), "Statement 1 can't contain both Resource and NotResource."),
        (policy(statement(resource: #""Resource": {"a": 1}"#)), "Statement 1 has an invalid Resource: it must be a string or a non-empty array of strings."),
        (policy(statement(principal: "")), "Statement 1 is missing the required element Principal."),
        (policy(statement(extra: #""NotPrincipal": "*""#)), "Statement 1 can't contain both Principal and NotPrincipal."),
        (policy(statement(principal: #""Principal": "someone""#)), #"Statement 1 has an invalid Principal: it must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}."#),
        (policy(statement(principal: #""Principal": {}"#)), #"Statement 1 has an invalid Principal: it must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}."#),
        (policy(statement(principal: #""Principal": {"Group": "x"}"#)), "Statement 1 has an unsupported Principal type: Group."),
        (policy(statement(principal: #""Principal": {"AWS": []}"#)), "Statement 1 has an invalid Principal: AWS must be a string or a non-empty array of strings."),
        (policy(statement(principal: #""NotPrincipal": {"AWS": 1}"#)), "Statement 1 has an invalid NotPrincipal: AWS must be a string or a non-empty array of strings."),
        (policy(statement(extra: #""Condition": "x""#)), "Statement 1 has an invalid Condition: it must be an object of operators."),
        (policy(statement(extra: #""Condition": {"StringEquals": "x"}"#)), "Statement 1 has an invalid Condition: StringEquals must be an object of condition keys."),
        (policy(statement(extra: #""Condition": {"StringEquals": {}}"#)), "Statement 1 has an invalid Condition: StringEquals must be an object of condition keys."),
        (policy(statement(extra: #""Condition": {"StringEquals": {"aws:username": null}}"#)), "Statement 1 has an invalid Condition: the value of StringEquals aws:username must be a string, number, boolean or a non-empty array of them."),
        (policy(statement(extra: #""Condition": {"StringEquals": {"aws:username": []}}"#)), "Statement 1 has an invalid Condition: the value of StringEquals aws:username must be a string, number, boolean or a non-empty array of them."),
        (policy(statement(extra: #""Sid": 1"#)), "Statement 1 has an invalid Sid: it must be a string."),
        (policy(statement(extra: #""Sid": "S", "Actions": "x""#)), "Statement 'S' contains an unsupported element: Actions."),
    ])
    func malformed(json: String, message: String) throws {
        #expect(throws: SejfError(.malformedPolicyDocument, message)) { try ResourcePolicy(json: json) }
        #expect(throws: SejfError(.malformedPolicyDocument, message)) { try ResourcePolicy.forPut(json, blockPublicPolicy: false) }
        let result = try ResourcePolicy.validate(json)
        #expect(!result.passed)
        #expect(result.errors.first == PolicyFinding(checkName: "SYNTAX_CHECK", errorMessage: message))
        #expect(result.errors.allSatisfy { $0.checkName == "SYNTAX_CHECK" })
    }

    @Test(arguments: ["not json", "{", "[]", #""a string""#, "42", "null", #"[{"Statement": []}]"#, "{\"Statement\": [}"])
    func notAJSONObject(json: String) {
        let message = "This resource policy contains a syntax error: the policy must be a JSON object."
        #expect(throws: SejfError(.malformedPolicyDocument, message)) { try ResourcePolicy(json: json) }
        #expect(throws: SejfError(.malformedPolicyDocument, message)) { try ResourcePolicy.validate(json) }
    }

    @Test func validateReportsEverySyntaxError() throws {
        let json = policy("[" + statement(effect: "") + ", " + statement(action: "", resource: "") + "]", version: #""Bad": 1, "#)
        let result = try ResourcePolicy.validate(json)
        #expect(result.errors.map(\.errorMessage) == [
            "This resource policy contains an unsupported top-level element: Bad.",
            "Statement 1 is missing the required element Effect.",
            "Statement 2 is missing the required element Action (or NotAction).",
            "Statement 2 is missing the required element Resource (or NotResource).",
        ])
    }

    @Test func lengthLimits() throws {
        #expect(throws: SejfError.constraint("resourcePolicy", "Member must have length greater than or equal to 1")) {
            try ResourcePolicy(json: "")
        }
        #expect(throws: SejfError.constraint("resourcePolicy", "Member must have length greater than or equal to 1")) {
            try ResourcePolicy.validate("")
        }
        let base = policy(statement())
        let longest = base + String(repeating: " ", count: ResourcePolicy.maxLength - base.count)
        #expect(longest.count == 20_480)
        _ = try ResourcePolicy(json: longest)
        #expect(try ResourcePolicy.validate(longest).passed)
        #expect(throws: SejfError.constraint("resourcePolicy", "Member must have length less than or equal to 20480")) {
            try ResourcePolicy(json: longest + " ")
        }
        #expect(throws: SejfError.constraint("resourcePolicy", "Member must have length less than or equal to 20480")) {
            try ResourcePolicy.forPut(longest + " ", blockPublicPolicy: true)
        }
        #expect(throws: SejfError.constraint("resourcePolicy", "Member must have length less than or equal to 20480")) {
            try ResourcePolicy.validate(longest + " ")
        }
    }
}

struct ResourcePolicyChecksTests {
    static let publicMessage =
        "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret."

    @Test(arguments: [
        #""Principal": "*""#,
        #""Principal": {"AWS": "*"}"#,
        #""Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]}"#,
        #""NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}"#,
    ])
    func allowForAnyoneIsPublic(principal: String) throws {
        let json = policy(statement(principal: principal))
        #expect(try ResourcePolicy(json: json).isPublic)
        #expect(throws: SejfError(.publicPolicy, Self.publicMessage)) {
            try ResourcePolicy.forPut(json, blockPublicPolicy: true)
        }
        #expect(try ResourcePolicy.forPut(json, blockPublicPolicy: false).isPublic)
        let result = try ResourcePolicy.validate(json)
        #expect(!result.passed)
        #expect(result.errors == [PolicyFinding(checkName: "PUBLIC_POLICY_CHECK",
            errorMessage: "A statement allows access to any principal: the policy grants broad access to the secret.")])
    }

    @Test func aConditionDoesNotMakeAWildcardPrivate() throws {
        let json = policy(statement(principal: #""Principal": "*""#,
                                    extra: #""Sid": "Org", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}"#))
        #expect(try ResourcePolicy(json: json).isPublic)
        #expect(try ResourcePolicy.validate(json).errors.map(\.errorMessage) == [
            "Statement 'Org' uses the condition StringEquals on aws:PrincipalOrgID, which Sejf does not evaluate: the statement will never apply.",
            "Statement 'Org' allows access to any principal: the policy grants broad access to the secret.",
        ])
    }

    @Test func notPublic() throws {
        let denyAll = policy(statement(effect: #""Effect": "Deny""#, principal: #""Principal": "*""#))
        let service = policy(statement(principal: #""Principal": {"Service": "*"}"#))
        let denyNot = policy(statement(effect: #""Effect": "Deny""#, principal: #""NotPrincipal": {"AWS": "123456789012"}"#))
        for json in [denyAll, service, denyNot, policy(statement())] {
            #expect(try !ResourcePolicy(json: json).isPublic)
            _ = try ResourcePolicy.forPut(json, blockPublicPolicy: true)
            #expect(try ResourcePolicy.validate(json).passed)
        }
    }

    @Test func onePublicStatementAmongOthers() throws {
        let json = policy("[" + statement() + ", " + statement(principal: #""Principal": "*""#, extra: #""Sid": "Open""#) + "]")
        #expect(try ResourcePolicy(json: json).isPublic)
        #expect(throws: SejfError(.publicPolicy, Self.publicMessage)) { try ResourcePolicy.forPut(json, blockPublicPolicy: true) }
    }

    @Test(arguments: ["*", "secretsmanager:*", "secretsmanager:GetSecretValue", "secretsmanager:getsecretvalue",
                      "secretsmanager:Get*", "secretsmanager:*Secret", "secretsmanager:?etSecretValue", "SecretsManager:ListSecrets"])
    func knownActionsPass(action: String) throws {
        let json = policy(statement(action: #""Action": "\#(action)""#))
        #expect(try ResourcePolicy.validate(json).passed)
    }

    @Test(arguments: ["secretsmanager:GetSecretValues", "secretsmanager:Fetch*", "s3:GetObject", "kms:Decrypt",
                      "secretsmanager:GetSecret"])
    func unknownActionsAreFindings(action: String) throws {
        let json = policy(statement(action: #""Action": ["secretsmanager:GetSecretValue", "\#(action)"]"#, extra: #""Sid": "Read""#))
        _ = try ResourcePolicy(json: json)  // accepted by PutResourcePolicy: it simply never matches
        let result = try ResourcePolicy.validate(json)
        #expect(!result.passed)
        #expect(result.errors == [PolicyFinding(checkName: "SYNTAX_CHECK",
            errorMessage: "Statement 'Read' contains the action '\(action)', which matches no Secrets Manager action.")])
    }

    @Test func publicAndUnknownActionFindingsTogether() throws {
        let json = policy(statement(principal: #""Principal": "*""#, action: #""Action": "s3:GetObject""#))
        #expect(try ResourcePolicy.validate(json).errors.map(\.checkName) == ["SYNTAX_CHECK", "PUBLIC_POLICY_CHECK"])
    }

    @Test func actionListMatchesEveryOperationOfTheModel() {
        #expect(PolicyAction.all.count == 23)
        #expect(PolicyAction.all.contains("secretsmanager:BatchGetSecretValue"))
        #expect(Set(PolicyAction.all).count == PolicyAction.all.count)
    }
}

struct PolicyMatchingTests {
    @Test(arguments: [
        ("*", "anything", true), ("*", "", true), ("", "", true), ("", "a", false),
        ("secretsmanager:Get*", "secretsmanager:GetSecretValue", true),
        ("secretsmanager:Get*", "secretsmanager:PutSecretValue", false),
        ("secretsmanager:*Secret*", "secretsmanager:ListSecretVersionIds", true),
        ("a?c", "abc", true), ("a?c", "ac", false), ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXbYY", false),
        ("*value", "secretsmanager:GetSecretValue", false),
        ("arn:aws:secretsmanager:prod:*:secret:db/*", "arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf", true),
    ])
    func wildcards(pattern: String, value: String, expected: Bool) {
        #expect(PolicyPattern.matches(pattern, value, caseInsensitive: false) == expected)
    }

    @Test func actionsIgnoreCaseResourcesDoNot() {
        #expect(PolicyElement.only(["SecretsManager:GETSECRETVALUE"]).matches("secretsmanager:GetSecretValue", caseInsensitive: true))
        #expect(!PolicyElement.only(["arn:aws:secretsmanager:prod:1:secret:DB/*"]).matches("arn:aws:secretsmanager:prod:1:secret:db/x", caseInsensitive: false))
        #expect(PolicyElement.except(["secretsmanager:Get*"]).matches("secretsmanager:DeleteSecret", caseInsensitive: true))
        #expect(!PolicyElement.except(["secretsmanager:Get*"]).matches("secretsmanager:GetSecretValue", caseInsensitive: true))
    }
}
