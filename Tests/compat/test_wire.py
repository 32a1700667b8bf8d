"""The wire: SigV4 failures, protocol errors and limits, each a 4xx with the right `__type`,
with raw HTTP requests signed by botocore's own SigV4 implementation."""
import datetime
import http.client
import json
import os
import subprocess
from urllib.parse import urlparse

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import run_sejf


def signed(installation, target="ListSecrets", body=b"{}", region="dev", service="secretsmanager",
           key_id=None, secret=None, headers=None):
    request = AWSRequest(method="POST", url=installation["endpoint"] + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"secretsmanager.{target}", **(headers or {})})
    SigV4Auth(Credentials(key_id or installation["key_id"], secret or installation["secret"]), service, region).add_auth(request)
    return request


def send(installation, request, body=None):
    prepared = request.prepare()
    return requests.post(installation["endpoint"] + "/", data=body if body is not None else prepared.body,
                         headers=dict(prepared.headers), timeout=10)


def expect_error(response, code, status=400):
    assert response.status_code == status, response.text
    assert response.json()["__type"] == code, response.text
    assert response.headers["x-amzn-RequestId"]
    return response.json()["message"]


def test_signed_request_succeeds(installation):
    response = send(installation, signed(installation))
    assert response.status_code == 200, response.text
    assert "SecretList" in response.json()
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-RequestId"]


def test_missing_authentication(installation):
    response = requests.post(installation["endpoint"] + "/", data=b"{}", timeout=10, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.ListSecrets"})
    expect_error(response, "MissingAuthenticationTokenException")


def test_garbled_and_duplicated_authorization(installation):
    request = signed(installation).prepare()
    headers = dict(request.headers)
    headers["Authorization"] = "AWS4-HMAC-SHA256 garbage"
    expect_error(requests.post(installation["endpoint"] + "/", data=request.body, headers=headers, timeout=10),
                 "IncompleteSignatureException")
    # requests cannot send a header twice; http.client can.
    duplicated = list(request.headers.items()) + [("Authorization", request.headers["Authorization"])]
    url = urlparse(installation["endpoint"])
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.putrequest("POST", "/", skip_host=True, skip_accept_encoding=True)
    for k, v in duplicated:
        connection.putheader(k, v)
    connection.endheaders(request.body)
    answer = connection.getresponse()
    assert answer.status == 400
    assert json.loads(answer.read())["__type"] == "IncompleteSignatureException"


def test_unknown_key(installation):
    expect_error(send(installation, signed(installation, key_id="AKIAUNKNOWNUNKNOWN12")), "UnrecognizedClientException")


def test_wrong_secret(installation):
    expect_error(send(installation, signed(installation, secret="x" * 40)), "InvalidSignatureException")


def test_body_changed_after_signing(installation):
    request = signed(installation, body=b'{"MaxResults": 1}')
    expect_error(send(installation, request, body=b'{"MaxResults": 2}'), "InvalidSignatureException")


def test_wrong_service_in_scope(installation):
    expect_error(send(installation, signed(installation, service="kms")), "InvalidSignatureException")


def test_stale_request(installation):
    old = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=16)).strftime("%Y%m%dT%H%M%SZ")
    request = AWSRequest(method="POST", url=installation["endpoint"] + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.ListSecrets"})
    auth = SigV4Auth(Credentials(installation["key_id"], installation["secret"]), "secretsmanager", "dev")
    auth._timestamp = old
    # botocore reads the timestamp from datetime.now inside add_auth; set X-Amz-Date and sign by hand.
    request.context["timestamp"] = old
    request.headers["X-Amz-Date"] = old
    string_to_sign = auth.string_to_sign(request, auth.canonical_request(request))
    signature = auth.signature(string_to_sign, request)
    scope = f"{installation['key_id']}/{old[:8]}/dev/secretsmanager/aws4_request"
    request.headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={scope}, "
                                        f"SignedHeaders={auth.signed_headers(auth.headers_to_sign(request))}, Signature={signature}")
    message = expect_error(send(installation, request), "InvalidSignatureException")
    assert "Signature expired" in message


def test_revoked_key_stops_working_at_once(installation):
    key = json.loads(run_sejf("key", "create", "admin", "--output", "json", data=installation["data"]).stdout)
    assert send(installation, signed(installation, key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])).status_code == 200
    run_sejf("key", "revoke", key["AccessKeyId"], data=installation["data"])
    expect_error(send(installation, signed(installation, key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])),
                 "UnrecognizedClientException")
    run_sejf("key", "delete", key["AccessKeyId"], data=installation["data"])


@pytest.mark.parametrize("target", ["NoSuchOperation", "", "kms.ListKeys"])
def test_unknown_operation(installation, target):
    request = signed(installation)
    request.headers.replace_header("X-Amz-Target", f"secretsmanager.{target}" if "." not in target else target)
    expect_error(send(installation, request), "UnknownOperationException")


@pytest.mark.parametrize("body,code", [
    (b"{not json", "SerializationException"),
    (b"[1, 2]", "SerializationException"),
    (b"\xff\xfe{}", "SerializationException"),
    (b'{"SecretId": 12}', "SerializationException"),
    (b'{"SecretId": ["a"]}', "SerializationException"),
    (b"{}", "ValidationException"),
])
def test_malformed_bodies(installation, body, code):
    message = expect_error(send(installation, signed(installation, target="GetSecretValue", body=body)), code)
    if code == "ValidationException":
        assert "secretId" in message


def test_one_mebibyte_body_is_a_clean_4xx(installation):
    body = json.dumps({"Name": "big", "SecretString": "x" * (1 << 20)}).encode()
    response = send(installation, signed(installation, target="CreateSecret", body=body))
    assert 400 <= response.status_code < 500
    assert response.json()["__type"] in ("RequestEntityTooLargeException", "ValidationException")


def test_get_is_not_the_api(installation):
    assert requests.get(installation["endpoint"] + "/healthz", timeout=10).text == "ok\n"


def test_aws_cli(installation, unique):
    name = unique("cli")
    env = {"AWS_ACCESS_KEY_ID": installation["key_id"], "AWS_SECRET_ACCESS_KEY": installation["secret"],
           "PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    base = ["aws", "--endpoint-url", installation["endpoint"], "--region", "prod", "secretsmanager"]
    subprocess.run(base + ["create-secret", "--name", name, "--secret-string", "from the aws cli"], env=env, check=True,
                   capture_output=True, timeout=60)
    out = subprocess.run(base + ["get-secret-value", "--secret-id", name, "--query", "SecretString", "--output", "text"],
                         env=env, check=True, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "from the aws cli"
    failed = subprocess.run(base + ["get-secret-value", "--secret-id", "nope/nope"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert failed.returncode != 0
    assert "ResourceNotFoundException" in failed.stderr
