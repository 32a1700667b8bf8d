"""Access control and the audit trail end to end: real boto3 clients signing with different
principals' keys against a real `sejf server`, and the trail read back with `sejf audit`.

Principals (each with its own access key, names unique per run):
- reader:        built-in `reader`, bound in dev only;
- denier:        `reader` in dev, plus a custom role that denies GetSecretValue on RUN/db/*;
- config:        built-in `config-reader` in dev (only secrets tagged sejf:kind=config);
- policy-user:   no binding; a resource policy on RUN/shared/key grants it GetSecretValue;
- nobody:        no binding at all.
"""
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import Server, make_client, run_sejf

READ = "secretsmanager:GetSecretValue"


def sejf(installation, *args, check=True):
    return run_sejf(*args, data=installation["data"], check=check)


def require_ok(result, what):
    """Fails the test with the command's own words when an access CLI command does not work."""
    if result.returncode != 0:
        pytest.fail(f"{what} failed (exit {result.returncode}); is the access CLI (`sejf bind`, `sejf apply`) ready?\n"
                    f"stdout: {result.stdout}\nstderr: {result.stderr}")
    return result


def audit_events(data, *filters):
    """`sejf audit export --format jsonl [filters]`, parsed."""
    out = run_sejf("audit", "export", "--format", "jsonl", *filters, data=data).stdout
    return [json.loads(line) for line in out.splitlines() if line]


def error_of(excinfo):
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]


class World:
    """The principals, their keys and the secrets of this module's run."""

    def __init__(self, installation):
        self.installation = installation
        self.run = f"e2e{time.time_ns() % 10 ** 12}"
        admin = make_client(installation, "dev")
        self.values = {}

        def create(name, region="dev", tags=None):
            value = f"value-of-{name}-{time.time_ns()}"
            client = admin if region == "dev" else make_client(installation, region)
            arn = client.create_secret(Name=name, SecretString=value, **({"Tags": tags} if tags else {}))["ARN"]
            self.values[(region, name)] = value
            return arn

        self.app = f"{self.run}/app/token"
        self.db = f"{self.run}/db/password"
        self.shared = f"{self.run}/shared/key"
        self.cfg = f"{self.run}/cfg/feature"
        self.arns = {
            ("dev", self.app): create(self.app),
            ("dev", self.db): create(self.db),
            ("dev", self.shared): create(self.shared),
            ("dev", self.cfg): create(self.cfg, tags=[{"Key": "sejf:kind", "Value": "config"}]),
            ("prod", self.app): create(self.app, "prod"),
        }
        self.account = self.arns[("dev", self.app)].split(":")[4]

        self.keys = {}
        for role in ("reader", "denier", "config", "policy-user", "nobody"):
            name = f"{role}-{self.run}"
            sejf(installation, "principal", "create", name)
            self.keys[role] = (name, json.loads(sejf(installation, "key", "create", name, "--output", "json").stdout))

        require_ok(sejf(installation, "bind", "reader", "--principal", self.name("reader"), "--env", "dev", check=False),
                   "sejf bind reader")
        require_ok(sejf(installation, "bind", "reader", "--principal", self.name("denier"), "--env", "dev", check=False),
                   "sejf bind reader")
        require_ok(sejf(installation, "bind", "config-reader", "--principal", self.name("config"), "--env", "dev", check=False),
                   "sejf bind config-reader")
        access_file = Path(installation["data"]).parent / f"access-{self.run}.yaml"
        access_file.write_text(f"""\
roles:
  - name: no-db-{self.run}
    description: Reads of {self.run}/db/* are refused, whatever else allows them.
    rules:
      - effect: deny
        actions: [secretsmanager:GetSecretValue]
        secrets: ["{self.run}/db/*"]
bindings:
  - name: no-db-{self.run}
    role: no-db-{self.run}
    principals: [{self.name("denier")}]
    environments: [dev]
""")
        require_ok(sejf(installation, "apply", "-f", str(access_file), check=False), "sejf apply -f")

        admin.put_resource_policy(SecretId=self.shared, ResourcePolicy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "PolicyUserReads", "Effect": "Allow",
                           "Principal": {"AWS": self.user_arn("policy-user")},
                           "Action": READ, "Resource": "*"}]}))

    def name(self, role):
        return self.keys[role][0]

    def key_id(self, role):
        return self.keys[role][1]["AccessKeyId"]

    def user_arn(self, role):
        return f"arn:aws:iam::{self.account}:user/{self.name(role)}"

    def client(self, role, region="dev"):
        key = self.keys[role][1]
        return make_client(self.installation, region, key["AccessKeyId"], key["SecretAccessKey"])

    def denied_message(self, role, resource):
        return f"User: {self.user_arn(role)} is not authorized to perform: {READ} on resource: {resource}"

    def names_seen(self, role):
        """The names ListSecrets shows `role` among this run's secrets."""
        pages = self.client(role).get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [self.run]}])
        return {entry["Name"] for page in pages for entry in page["SecretList"]}


@pytest.fixture(scope="module")
def world(installation):
    return World(installation)


# MARK: - Access control


def test_reader_bound_to_dev_reads_dev_and_is_denied_in_prod(world):
    value = world.client("reader").get_secret_value(SecretId=world.app)["SecretString"]
    assert value == world.values[("dev", world.app)]

    with pytest.raises(ClientError) as denied:
        world.client("reader", "prod").get_secret_value(SecretId=world.app)
    code, message, meta = error_of(denied)
    assert code == "AccessDeniedException"
    assert meta["HTTPStatusCode"] == 400
    prod_arn = world.arns[("prod", world.app)]
    assert message == (world.denied_message("reader", prod_arn)
                       + f" because no identity-based policy allows the {READ} action"), message
    assert world.values[("prod", world.app)] not in json.dumps(denied.value.response)

    # A name that does not exist in prod is denied too, not "not found": no probing for names.
    with pytest.raises(ClientError) as probe:
        world.client("reader", "prod").get_secret_value(SecretId=f"{world.run}/no/such")
    assert error_of(probe)[0] == "AccessDeniedException"


def test_explicit_deny_beats_the_readers_allow(world):
    denier = world.client("denier")
    assert denier.get_secret_value(SecretId=world.app)["SecretString"] == world.values[("dev", world.app)]
    with pytest.raises(ClientError) as denied:
        denier.get_secret_value(SecretId=world.db)
    code, message, _ = error_of(denied)
    assert code == "AccessDeniedException"
    assert message == world.denied_message("denier", world.arns[("dev", world.db)]) + " with an explicit deny in an identity-based policy"
    # The deny covers reads only: the reader role still describes the secret.
    assert denier.describe_secret(SecretId=world.db)["Name"] == world.db
    # The plain reader is not affected by a role bound to someone else.
    assert world.client("reader").get_secret_value(SecretId=world.db)["SecretString"] == world.values[("dev", world.db)]


def test_resource_policy_grants_an_unbound_principal_one_secret(world):
    user = world.client("policy-user")
    assert user.get_secret_value(SecretId=world.shared)["SecretString"] == world.values[("dev", world.shared)]
    assert user.get_secret_value(SecretId=world.arns[("dev", world.shared)])["Name"] == world.shared
    for other in (world.app, world.db):
        with pytest.raises(ClientError) as denied:
            user.get_secret_value(SecretId=other)
        assert error_of(denied)[0] == "AccessDeniedException"
    # The policy grants GetSecretValue only.
    with pytest.raises(ClientError) as describe:
        user.describe_secret(SecretId=world.shared)
    assert error_of(describe)[0] == "AccessDeniedException"
    # Only admin may hand out access with a resource policy.
    with pytest.raises(ClientError) as put:
        world.client("reader").put_resource_policy(SecretId=world.app, ResourcePolicy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": world.user_arn("nobody")}, "Action": READ, "Resource": "*"}]}))
    assert error_of(put)[0] == "AccessDeniedException"


def test_list_secrets_shows_only_what_the_caller_may_see(world):
    assert world.names_seen("config") == {world.cfg}
    assert world.names_seen("reader") == {world.app, world.db, world.shared, world.cfg}
    with pytest.raises(ClientError) as denied:
        world.client("nobody").list_secrets()
    assert error_of(denied)[0] == "AccessDeniedException"


def test_batch_get_reports_the_secrets_the_caller_may_not_read_in_errors(world):
    answer = world.client("config").batch_get_secret_value(SecretIdList=[world.cfg, world.app, world.db])
    assert [(v["Name"], v["SecretString"]) for v in answer["SecretValues"]] == [(world.cfg, world.values[("dev", world.cfg)])]
    errors = {e["SecretId"]: e for e in answer["Errors"]}
    assert set(errors) == {world.app, world.db}
    for secret_id, entry in errors.items():
        assert entry["ErrorCode"] == "AccessDeniedException"
        assert world.values[("dev", secret_id)] not in entry.get("Message", "")
    # One GetSecretValue event per secret, in the order asked, then the batch's own event.
    events = sorted((e for e in audit_events(world.installation["data"])
                     if e["requestId"] == answer["ResponseMetadata"]["RequestId"]), key=lambda e: e["sequence"])
    assert [(e["action"], e["secretArn"], e["outcome"]) for e in events] == [
        ("secretsmanager:GetSecretValue", world.arns[("dev", world.cfg)], "allowed"),
        ("secretsmanager:GetSecretValue", world.arns[("dev", world.app)], "denied"),
        ("secretsmanager:GetSecretValue", world.arns[("dev", world.db)], "denied"),
        ("secretsmanager:BatchGetSecretValue", None, "allowed")]

    answer = world.client("denier").batch_get_secret_value(SecretIdList=[world.app, world.db])
    assert [v["Name"] for v in answer["SecretValues"]] == [world.app]
    assert [(e["SecretId"], e["ErrorCode"]) for e in answer["Errors"]] == [(world.db, "AccessDeniedException")]


def test_a_principal_without_a_binding_is_denied_everything(world):
    nobody = world.client("nobody")
    with pytest.raises(ClientError) as denied:
        nobody.get_secret_value(SecretId=world.app)
    code, message, _ = error_of(denied)
    assert code == "AccessDeniedException"
    assert message.startswith(world.denied_message("nobody", world.arns[("dev", world.app)]))
    with pytest.raises(ClientError) as batch:
        nobody.batch_get_secret_value(SecretIdList=[world.app])
    assert error_of(batch)[0] == "AccessDeniedException"


# MARK: - The audit trail


def test_each_read_is_one_audit_event_with_the_request_fields(world):
    data = world.installation["data"]
    response = world.client("reader").get_secret_value(SecretId=world.app)
    request_id = response["ResponseMetadata"]["RequestId"]
    assert request_id

    events = [e for e in audit_events(data, "--principal", world.name("reader")) if e["requestId"] == request_id]
    assert len(events) == 1, events
    event = events[0]
    assert event["action"] == READ
    assert event["outcome"] == "allowed" and event["errorCode"] is None
    assert event["environment"] == "dev"
    assert event["principal"] == world.name("reader")
    assert event["accessKeyId"] == world.key_id("reader")
    assert event["sourceAddress"] == "127.0.0.1"
    assert "Boto3" in event["userAgent"], event["userAgent"]
    assert event["secretArn"] == response["ARN"]
    assert event["versionId"] == response["VersionId"]
    assert event["versionStages"] == ["AWSCURRENT"]

    # The same event through `audit list`; no view of the trail holds a value.
    listed = json.loads(run_sejf("audit", "list", "--output", "json", "--principal", world.name("reader"),
                                 "--secret", world.app, "--limit", "1", data=data).stdout)
    assert [e["requestId"] for e in listed] == [request_id]
    export = run_sejf("audit", "export", "--format", "jsonl", data=data).stdout
    for value in world.values.values():
        assert value not in export
    who = json.loads(run_sejf("audit", "who-read", "--env", "dev", "--since", "1h", "--output", "json", data=data).stdout)
    assert any(r["principal"] == world.name("reader") and r["secretArn"] == response["ARN"] and r["reads"] >= 1 for r in who)

    # A batch read leaves one read event per secret it returned.
    batch = world.client("config").batch_get_secret_value(SecretIdList=[world.cfg])
    batch_events = [e for e in audit_events(data, "--principal", world.name("config"))
                    if e["requestId"] == batch["ResponseMetadata"]["RequestId"] and e["secretArn"] == world.arns[("dev", world.cfg)]]
    assert len(batch_events) == 1, batch_events
    assert batch_events[0]["outcome"] == "allowed"


def test_a_denied_request_is_audited_as_denied(world):
    with pytest.raises(ClientError) as denied:
        world.client("reader", "prod").get_secret_value(SecretId=world.app)
    request_id = error_of(denied)[2]["RequestId"]
    events = [e for e in audit_events(world.installation["data"], "--outcome", "denied") if e["requestId"] == request_id]
    assert len(events) == 1, events
    event = events[0]
    assert event["action"] == READ
    assert event["errorCode"] == "AccessDeniedException"
    assert event["environment"] == "prod"
    assert event["principal"] == world.name("reader")
    assert event["accessKeyId"] == world.key_id("reader")
    assert event["secretArn"] == world.arns[("prod", world.app)]
    assert event["versionId"] is None and event["versionStages"] == []
    assert event["sourceAddress"] == "127.0.0.1"


def test_a_failed_authentication_with_a_known_key_is_audited(world):
    bad = make_client(world.installation, "dev", world.key_id("reader"), "wrong" + "x" * 35)
    with pytest.raises(ClientError) as refused:
        bad.get_secret_value(SecretId=world.app)
    code, _, meta = error_of(refused)
    assert code in ("InvalidSignatureException", "UnrecognizedClientException", "IncompleteSignature"), code
    events = [e for e in audit_events(world.installation["data"], "--action", "sejf:Authenticate")
              if e["requestId"] == meta["RequestId"]]
    assert len(events) == 1, events
    event = events[0]
    assert event["accessKeyId"] == world.key_id("reader")
    assert event["outcome"] == "denied"
    assert event["errorCode"] == code
    assert event["environment"] == "dev"
    assert event["sourceAddress"] == "127.0.0.1"
    assert "Boto3" in event["userAgent"]
    assert event["secretArn"] is None
    # AuditEvent documents "" for failed authentications; the service records the key's owner.
    assert event["principal"] in ("", world.name("reader"))

    # A key nobody issued is not recorded (anyone can invent one).
    invented = make_client(world.installation, "dev", "AKIA" + "Z" * 16, "x" * 40)
    with pytest.raises(ClientError) as unknown:
        invented.get_secret_value(SecretId=world.app)
    unknown_id = error_of(unknown)[2]["RequestId"]
    assert not [e for e in audit_events(world.installation["data"]) if e["requestId"] == unknown_id]


def test_changes_made_by_the_cli_count_from_the_next_request(world):
    """The server caches metadata and signing keys; a key revoked, reactivated, created or
    deleted, and a binding removed, by another process, still count from the very next request."""
    name = f"rotating-{world.run}"
    sejf(world.installation, "principal", "create", name)
    sejf(world.installation, "bind", "reader", "--principal", name, "--env", "dev")
    key = json.loads(sejf(world.installation, "key", "create", name, "--output", "json").stdout)
    client = make_client(world.installation, "dev", key["AccessKeyId"], key["SecretAccessKey"])
    value = world.values[("dev", world.app)]
    # A key created after the server cached its metadata works at once.
    assert client.get_secret_value(SecretId=world.app)["SecretString"] == value

    sejf(world.installation, "key", "revoke", key["AccessKeyId"])
    for call in (lambda: client.get_secret_value(SecretId=world.app), lambda: client.list_secrets()):
        with pytest.raises(ClientError) as refused:
            call()
        assert error_of(refused)[0] == "UnrecognizedClientException"

    sejf(world.installation, "key", "activate", key["AccessKeyId"])
    assert client.get_secret_value(SecretId=world.app)["SecretString"] == value

    sejf(world.installation, "unbind", "reader", "--principal", name)
    with pytest.raises(ClientError) as denied:
        client.get_secret_value(SecretId=world.app)
    assert error_of(denied)[0] == "AccessDeniedException"

    sejf(world.installation, "key", "delete", key["AccessKeyId"])
    with pytest.raises(ClientError) as deleted:
        client.get_secret_value(SecretId=world.app)
    assert error_of(deleted)[0] == "UnrecognizedClientException"


def test_the_trail_still_verifies(world):
    result = sejf(world.installation, "audit", "verify")
    assert result.stdout.startswith("ok: "), result.stdout


# MARK: - Fail closed


@pytest.fixture
def small_disk():
    """A data directory on a 2 MiB tmpfs with its own server; unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    with tempfile.TemporaryDirectory(prefix="sejf-full-") as tmp:
        mount = Path(tmp) / "disk"
        mount.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
        server = None
        try:
            data = mount / "data"
            report = json.loads(run_sejf("init", "--environments", "dev", "--output", "json", data=data).stdout)
            server = Server(data)
            yield {"mount": mount, "data": data, "server": server, "endpoint": server.endpoint,
                   "key_id": report["AccessKeyId"], "secret": report["SecretAccessKey"]}
        finally:
            if server is not None:
                server.stop()
            subprocess.run(["umount", str(mount)], check=False)


def fill(directory):
    """Writes a file until the disk is full; returns its path."""
    path = directory / "filler"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    try:
        while True:
            os.write(fd, b"\0")
    except OSError:
        pass
    finally:
        os.close(fd)
    return path


def test_reads_fail_closed_when_the_audit_event_cannot_be_written_and_recover(small_disk):
    client = make_client(small_disk, "dev")
    value = f"fail-closed-{time.time_ns()}"
    client.create_secret(Name="app/db", SecretString=value)
    assert client.get_secret_value(SecretId="app/db")["SecretString"] == value

    filler = fill(small_disk["mount"])
    with pytest.raises(ClientError) as failed:
        client.get_secret_value(SecretId="app/db")
    code, message, meta = error_of(failed)
    assert code == "InternalServiceError"
    assert meta["HTTPStatusCode"] == 500
    assert "SecretString" not in failed.value.response and value not in json.dumps(failed.value.response)
    # A batch read serves nothing either.
    try:
        batch = client.batch_get_secret_value(SecretIdList=["app/db"])
        assert batch["SecretValues"] == [], batch
        assert [e["ErrorCode"] for e in batch["Errors"]] == ["InternalServiceError"]
    except ClientError as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert value not in json.dumps(error.response)

    filler.unlink()
    assert client.get_secret_value(SecretId="app/db")["SecretString"] == value
    assert small_disk["server"].process.poll() is None, "the server must keep running"

    # Every value served was audited, and only those.
    reads = audit_events(small_disk["data"], "--action", "GetSecretValue", "--outcome", "allowed")
    assert len(reads) == 2, reads
    assert run_sejf("audit", "verify", data=small_disk["data"]).stdout.startswith("ok: ")
