"""BatchGetSecretValue, GetRandomPassword, rotation settings, resource policies and replication
through real boto3."""
import json
import string

import pytest
from botocore.exceptions import ClientError

from conftest import make_client


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_batch_get_by_ids_reports_missing_ones(client, unique):
    names = [unique("batch") for _ in range(3)]
    for i, name in enumerate(names):
        client.create_secret(Name=name, SecretString=f"value {i}")
    answer = client.batch_get_secret_value(SecretIdList=names + ["does/not/exist"])
    assert sorted(v["SecretString"] for v in answer["SecretValues"]) == ["value 0", "value 1", "value 2"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in answer["Errors"]] == [("does/not/exist", "ResourceNotFoundException")]


def test_batch_get_by_filters_paginates(client, unique):
    prefix = unique("bf")
    for i in range(5):
        client.create_secret(Name=f"{prefix}/{i}", SecretString=str(i))
    values, token = [], None
    while True:
        page = client.batch_get_secret_value(Filters=[{"Key": "name", "Values": [prefix]}], MaxResults=2,
                                             **({"NextToken": token} if token else {}))
        assert len(page["SecretValues"]) <= 2
        values += [v["SecretString"] for v in page["SecretValues"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(values) == ["0", "1", "2", "3", "4"]


def test_batch_get_argument_rules(client):
    with pytest.raises(ClientError) as excinfo:
        client.batch_get_secret_value(SecretIdList=["a"], Filters=[{"Key": "name", "Values": ["a"]}])
    assert error_code(excinfo) == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        client.batch_get_secret_value(SecretIdList=["a"], MaxResults=5)
    assert error_code(excinfo) == "InvalidParameterException"


def test_random_password_defaults_and_rules(client, unchecked_client):
    password = client.get_random_password()["RandomPassword"]
    assert len(password) == 32
    assert any(c in string.ascii_lowercase for c in password) and any(c in string.ascii_uppercase for c in password)
    assert any(c in string.digits for c in password) and any(c in string.punctuation for c in password)
    only_digits = client.get_random_password(PasswordLength=20, ExcludeLowercase=True, ExcludeUppercase=True,
                                             ExcludePunctuation=True)["RandomPassword"]
    assert len(only_digits) == 20 and only_digits.isdigit()
    no_vowels = client.get_random_password(ExcludeCharacters="aeiouAEIOU")["RandomPassword"]
    assert not set(no_vowels) & set("aeiouAEIOU")
    with pytest.raises(ClientError) as excinfo:
        client.get_random_password(ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True, ExcludeNumbers=True)
    assert error_code(excinfo) == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        unchecked_client.get_random_password(PasswordLength=4097)
    assert error_code(excinfo) in ("ValidationException", "InvalidParameterException")


def test_rotation_settings_are_stored_and_validated(client, unchecked_client, unique):
    name = unique("rot")
    client.create_secret(Name=name, SecretString="v")
    client.rotate_secret(SecretId=name, RotationLambdaARN="sejf:random", RotationRules={"AutomaticallyAfterDays": 30},
                         RotateImmediately=False)
    d = client.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is True
    assert d["RotationLambdaARN"] == "sejf:random"
    assert d["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert d["NextRotationDate"] > d["CreatedDate"]
    client.rotate_secret(SecretId=name, RotationRules={"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"},
                         RotateImmediately=False)
    assert client.describe_secret(SecretId=name)["RotationRules"]["ScheduleExpression"] == "cron(0 16 1,15 * ? *)"
    client.cancel_rotate_secret(SecretId=name)
    assert client.describe_secret(SecretId=name)["RotationEnabled"] is False
    for rules in ({"AutomaticallyAfterDays": 0}, {"AutomaticallyAfterDays": 1001},
                  {"AutomaticallyAfterDays": 5, "ScheduleExpression": "rate(5 days)"}, {"ScheduleExpression": "rate(1 hours)"},
                  {"ScheduleExpression": "cron(nonsense)"}):
        with pytest.raises(ClientError) as excinfo:
            unchecked_client.rotate_secret(SecretId=name, RotationRules=rules, RotateImmediately=False)
        assert error_code(excinfo) in ("InvalidParameterException", "ValidationException"), rules


def test_cancel_rotation_without_rotator(client, unique):
    name = unique("norot")
    client.create_secret(Name=name, SecretString="v")
    with pytest.raises(ClientError) as excinfo:
        client.cancel_rotate_secret(SecretId=name)
    assert error_code(excinfo) == "InvalidRequestException"


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/api"},
    "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
PUBLIC = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


def test_resource_policies(client, unique):
    name = unique("pol")
    client.create_secret(Name=name, SecretString="v")
    assert "ResourcePolicy" not in client.get_resource_policy(SecretId=name)
    client.put_resource_policy(SecretId=name, ResourcePolicy=POLICY)
    assert json.loads(client.get_resource_policy(SecretId=name)["ResourcePolicy"]) == json.loads(POLICY)
    with pytest.raises(ClientError) as excinfo:
        client.put_resource_policy(SecretId=name, ResourcePolicy=PUBLIC, BlockPublicPolicy=True)
    assert error_code(excinfo) == "PublicPolicyException"
    with pytest.raises(ClientError) as excinfo:
        client.put_resource_policy(SecretId=name, ResourcePolicy="{not json")
    assert error_code(excinfo) == "MalformedPolicyDocumentException"
    assert client.validate_resource_policy(ResourcePolicy=POLICY)["PolicyValidationPassed"] is True
    public = client.validate_resource_policy(SecretId=name, ResourcePolicy=PUBLIC)
    assert public["PolicyValidationPassed"] is False
    assert public["ValidationErrors"][0]["CheckName"]
    client.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in client.get_resource_policy(SecretId=name)


def test_replication_keeps_replicas_in_step(installation, unique):
    dev, prod = make_client(installation, "dev"), make_client(installation, "prod")
    name = unique("rep")
    created = dev.create_secret(Name=name, SecretString="one", AddReplicaRegions=[{"Region": "prod"}])
    assert created["ReplicationStatus"][0]["Status"] == "InSync"
    replica_arn = created["ARN"].replace(":dev:", ":prod:")
    assert prod.get_secret_value(SecretId=name)["ARN"] == replica_arn
    dev.put_secret_value(SecretId=name, SecretString="two")
    dev.tag_resource(SecretId=name, Tags=[{"Key": "team", "Value": "core"}])
    assert prod.get_secret_value(SecretId=name)["SecretString"] == "two"
    assert prod.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    described = prod.describe_secret(SecretId=name)
    assert described["PrimaryRegion"] == "dev"
    assert described["Tags"] == [{"Key": "team", "Value": "core"}]
    assert dev.describe_secret(SecretId=name)["ReplicationStatus"][0]["Region"] == "prod"
    with pytest.raises(ClientError) as excinfo:
        prod.put_secret_value(SecretId=name, SecretString="not here")
    assert error_code(excinfo) == "InvalidRequestException"
    with pytest.raises(ClientError) as excinfo:
        dev.delete_secret(SecretId=name)
    assert error_code(excinfo) == "InvalidParameterException"
    dev.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["prod"])
    with pytest.raises(ClientError) as excinfo:
        prod.describe_secret(SecretId=name)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_replicate_existing_and_promote(installation, unique):
    dev, staging = make_client(installation, "dev"), make_client(installation, "staging")
    name = unique("promote")
    dev.create_secret(Name=name, SecretString="primary")
    staging.create_secret(Name=name, SecretString="in the way")
    failed = dev.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "staging"}])
    assert failed["ReplicationStatus"][0]["Status"] == "Failed"
    assert staging.get_secret_value(SecretId=name)["SecretString"] == "in the way"
    forced = dev.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "staging"}],
                                             ForceOverwriteReplicaSecret=True)
    assert forced["ReplicationStatus"][0]["Status"] == "InSync"
    assert staging.get_secret_value(SecretId=name)["SecretString"] == "primary"
    staging.stop_replication_to_replica(SecretId=name)
    staging.put_secret_value(SecretId=name, SecretString="standalone now")
    assert dev.get_secret_value(SecretId=name)["SecretString"] == "primary"
    with pytest.raises(ClientError) as excinfo:
        dev.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "nowhere"}])
    assert error_code(excinfo) == "InvalidParameterException"


def test_every_operation_of_the_service_model_is_served(installation):
    """No operation of the botocore model answers UnknownOperationException."""
    import botocore.session
    model = botocore.session.get_session().get_service_model("secretsmanager")
    from test_wire import send, signed
    for operation in model.operation_names:
        response = send(installation, signed(installation, target=operation, body=b"{}"))
        assert response.status_code in (200, 400), (operation, response.text)
        if response.status_code == 400:
            assert response.json()["__type"] != "UnknownOperationException", operation
