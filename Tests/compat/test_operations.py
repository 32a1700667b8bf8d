"""Every implemented operation through real boto3, against a real `sejf server`."""
import base64
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import make_client


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_create_get_put_and_labels(client, unique):
    name = unique("db")
    created = client.create_secret(Name=name, SecretString='{"password":"s3cr3t"}', Description="db login",
                                   Tags=[{"Key": "team", "Value": "payments"}])
    assert created["Name"] == name
    assert created["ARN"].startswith("arn:aws:secretsmanager:dev:")
    assert created["ARN"].split(":secret:")[1][:-7] == name
    got = client.get_secret_value(SecretId=name)
    assert got["SecretString"] == '{"password":"s3cr3t"}'
    assert got["VersionStages"] == ["AWSCURRENT"]
    assert got["VersionId"] == created["VersionId"]
    assert got["CreatedDate"].year >= 2024
    put = client.put_secret_value(SecretId=created["ARN"], SecretString="second")
    assert put["VersionStages"] == ["AWSCURRENT"]
    assert client.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == '{"password":"s3cr3t"}'
    # Partial ARN (without the random suffix) works too.
    partial = created["ARN"][:-7]
    assert client.get_secret_value(SecretId=partial)["SecretString"] == "second"
    client.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT",
                                       RemoveFromVersionId=put["VersionId"], MoveToVersionId=created["VersionId"])
    assert client.get_secret_value(SecretId=name)["SecretString"] == '{"password":"s3cr3t"}'


def test_binary_values(client, unique):
    name = unique("bin")
    client.create_secret(Name=name, SecretBinary=b"\x00\xff\x01")
    assert client.get_secret_value(SecretId=name)["SecretBinary"] == b"\x00\xff\x01"


def test_idempotent_tokens(client, unique):
    name = unique("idem")
    token = str(uuid.uuid4())
    client.create_secret(Name=name, SecretString="one")
    first = client.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    again = client.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    assert first["VersionId"] == again["VersionId"] == token
    with pytest.raises(ClientError) as excinfo:
        client.put_secret_value(SecretId=name, SecretString="three", ClientRequestToken=token)
    assert error_code(excinfo) == "ResourceExistsException"
    assert "three" not in str(excinfo.value)


def test_describe_list_versions_tags(client, unique):
    name = unique("meta")
    client.create_secret(Name=name, SecretString="v", Tags=[{"Key": "a", "Value": "1"}])
    client.tag_resource(SecretId=name, Tags=[{"Key": "b", "Value": "2"}])
    client.untag_resource(SecretId=name, TagKeys=["a"])
    client.update_secret(SecretId=name, Description="described")
    d = client.describe_secret(SecretId=name)
    assert d["Tags"] == [{"Key": "b", "Value": "2"}]
    assert d["Description"] == "described"
    assert list(d["VersionIdsToStages"].values()) == [["AWSCURRENT"]]
    assert "SecretString" not in d
    listed = client.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
    assert [s["Name"] for s in listed] == [name]
    versions = client.list_secret_version_ids(SecretId=name)
    assert len(versions["Versions"]) == 1 and versions["Name"] == name


def test_list_pagination_with_paginator(client, unique):
    prefix = unique("page")
    for i in range(7):
        client.create_secret(Name=f"{prefix}/{i}", SecretString="v")
    names = []
    for page in client.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": [prefix]}], PaginationConfig={"PageSize": 3}):
        assert len(page["SecretList"]) <= 3
        names += [s["Name"] for s in page["SecretList"]]
    assert sorted(names) == [f"{prefix}/{i}" for i in range(7)]
    negated = client.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}, {"Key": "name", "Values": [f"!{prefix}/1"]}])
    assert len(negated["SecretList"]) == 6


def test_delete_restore_and_force(client, unique):
    name = unique("del")
    client.create_secret(Name=name, SecretString="v")
    deleted = client.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert deleted["DeletionDate"]
    with pytest.raises(ClientError) as excinfo:
        client.get_secret_value(SecretId=name)
    assert error_code(excinfo) == "InvalidRequestException"
    assert client.describe_secret(SecretId=name)["DeletedDate"]
    client.restore_secret(SecretId=name)
    assert client.get_secret_value(SecretId=name)["SecretString"] == "v"
    client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as excinfo:
        client.describe_secret(SecretId=name)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_environments_are_regions(installation, unique):
    dev, prod = make_client(installation, "dev"), make_client(installation, "prod")
    name = unique("env")
    prod_arn = prod.create_secret(Name=name, SecretString="prod value")["ARN"]
    assert ":prod:" in prod_arn
    with pytest.raises(ClientError) as excinfo:
        dev.get_secret_value(SecretId=name)
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        dev.get_secret_value(SecretId=prod_arn)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_unknown_environment(installation):
    qa = make_client(installation, "qa")
    with pytest.raises(ClientError) as excinfo:
        qa.list_secrets()
    assert error_code(excinfo) == "InvalidSignatureException"
    assert "valid region" in excinfo.value.response["Error"]["Message"]
    assert "qa" in excinfo.value.response["Error"]["Message"]


@pytest.mark.parametrize("call,code", [
    (lambda c: c.get_secret_value(SecretId="does/not/exist"), "ResourceNotFoundException"),
    (lambda c: c.create_secret(Name="bad name!", SecretString="v"), "InvalidParameterException"),
    (lambda c: c.create_secret(Name="x" * 513, SecretString="v"), "ValidationException"),
    (lambda c: c.delete_secret(SecretId="x", RecoveryWindowInDays=3), "InvalidParameterException"),
    (lambda c: c.list_secrets(NextToken="forged"), "InvalidNextTokenException"),
    (lambda c: c.get_secret_value(SecretId="x" * 2049), "ValidationException"),
])
def test_service_errors(unchecked_client, call, code):
    with pytest.raises(ClientError) as excinfo:
        call(unchecked_client)
    assert error_code(excinfo) == code
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert excinfo.value.response["ResponseMetadata"]["RequestId"]


def test_oversized_value_is_a_validation_error(client, unique):
    with pytest.raises(ClientError) as excinfo:
        client.create_secret(Name=unique("big"), SecretString="x" * 65537)
    assert error_code(excinfo) == "ValidationException"
