"""Delivery against a real `sejf server`: `sejf render` and `sejf run` with SEJF_ENDPOINT, the
server's own `sejf:Render`/`sejf:Run` audit events (the `sejf.RecordUse` operation), the keyed
`sejf.dev/checksum`, and `sejf run --watch` restarting its command when a value changes.

A fresh data directory and server of its own, seeded with the values the shipped `api` app of
`environments/dev.yaml` needs."""
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import REPO, SEJF, Server, clean_env, make_client, run_sejf

DEFINITIONS = REPO / "environments"
SEED = {
    "api/django-settings-module": ("config", "shop.settings.dev"),
    "api/debug": ("config", "true"),
    "api/allowed-hosts": ("config", "localhost"),
    "api/django-secret-key": ("secret", "line one\nline two 'q' $HOME"),
    "api/sentry-dsn": ("secret", "https://abc@sentry.example/1"),
    "db/credentials": ("secret", json.dumps({"engine": "postgres", "host": "db", "port": 5432, "dbname": "shop",
                                             "username": "api", "password": "p@ss word"})),
    "redis/credentials": ("secret", json.dumps({"host": "redis", "port": 6379, "password": "r3d!s"})),
}


def seed(data):
    """A data directory with the dev values of the `api` app; the admin's and an outsider's keys."""
    admin = json.loads(run_sejf("init", "--environments", "dev,prod", "--output", "json", data=data).stdout)
    for name, (kind, value) in SEED.items():
        if kind == "config":
            run_sejf("config", "set", name, value, "--env", "dev", data=data)
        else:
            run_sejf("secret", "create", name, "--value", value, "--env", "dev", data=data)
    run_sejf("principal", "create", "outsider", data=data)
    outsider = json.loads(run_sejf("key", "create", "outsider", "--output", "json", data=data).stdout)
    return {"data": data, "admin": admin, "outsider": outsider, "key_id": admin["AccessKeyId"], "secret": admin["SecretAccessKey"]}


@pytest.fixture(scope="module")
def shop():
    """A server on a seeded data directory."""
    with tempfile.TemporaryDirectory(prefix="sejf-delivery-") as tmp:
        installation = seed(Path(tmp) / "data")
        server = Server(installation["data"])
        try:
            yield dict(installation, server=server, endpoint=server.endpoint)
        finally:
            assert server.stop() == 0, server.process.stderr.read()


def remote_env(shop, key=None):
    key = key or shop["admin"]
    return clean_env(SEJF_ENDPOINT=shop["endpoint"], AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                     AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])


def sejf(*args, env, check=True):
    """`sejf ARGS` without --data (remote commands need none), with its output."""
    result = subprocess.run([str(SEJF), *args], capture_output=True, text=True, env=env, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"sejf {' '.join(args)} failed: {result.stderr}")
    return result


def render(shop, fmt, remote=True):
    args = ["render", fmt, "--env", "dev", "--app", "api", "--definitions", str(DEFINITIONS)]
    if remote:
        return sejf(*args, env=remote_env(shop)).stdout
    return run_sejf(*args, data=shop["data"]).stdout


def events(shop, action):
    out = run_sejf("audit", "export", "--format", "jsonl", "--action", action, data=shop["data"]).stdout
    return [json.loads(line) for line in out.splitlines() if line]


def record_use(shop, body, key=None):
    """A raw, SigV4-signed `sejf.RecordUse` request (boto3 has no such operation)."""
    key = key or shop["admin"]
    request = AWSRequest(method="POST", url=shop["endpoint"] + "/", data=json.dumps(body).encode(),
                         headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "sejf.RecordUse"})
    SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "secretsmanager", "dev").add_auth(request)
    return requests.post(request.url, data=request.body, headers=dict(request.headers), timeout=10)


def test_remote_render_is_the_embedded_render(shop):
    """Same values, same version ids, same keyed checksum: the server and the embedded CLI
    derive the checksum key from the same environment key."""
    remote = render(shop, "k8s")
    assert remote == render(shop, "k8s", remote=False)
    assert "sejf.dev/checksum" in remote
    assert "p@ss word" not in remote
    patch = render(shop, "rollout")
    assert patch == render(shop, "rollout", remote=False)
    checksum = json.loads(patch)["spec"]["template"]["metadata"]["annotations"]["sejf.dev/checksum"]
    assert len(checksum) == 64


def test_remote_render_is_audited_on_the_server_as_sejf_render(shop):
    before = len(events(shop, "sejf:Render"))
    reads_before = len(events(shop, "GetSecretValue"))
    render(shop, "json")
    rendered = events(shop, "sejf:Render")[before:]
    assert len(rendered) == len(SEED)  # one event per secret version used
    assert {event["principal"] for event in rendered} == {"admin"}
    assert all(event["accessKeyId"] == shop["key_id"] and event["outcome"] == "allowed" for event in rendered)
    assert len(events(shop, "GetSecretValue")) - reads_before == len(SEED)
    assert not any("p@ss word" in json.dumps(event) for event in rendered)
    run_sejf("audit", "verify", data=shop["data"])


def test_remote_run_is_audited_as_sejf_run(shop):
    before = len(events(shop, "sejf:Run"))
    result = sejf("run", "--env", "dev", "--app", "api", "--definitions", str(DEFINITIONS), "--",
                  sys.executable, "-c", "import os; print(os.environ['DB_PASSWORD'])", env=remote_env(shop))
    assert result.stdout == "p@ss word\n"
    assert len(events(shop, "sejf:Run")) - before == len(SEED)


def test_record_use_is_authorized_as_a_read(shop):
    arn = make_client(shop).describe_secret(SecretId="db/credentials")
    version = next(v for v, stages in arn["VersionIdsToStages"].items() if "AWSCURRENT" in stages)
    use = {"Action": "sejf:Render", "Uses": [{"ARN": arn["ARN"], "VersionId": version}]}

    denied = record_use(shop, use, key=shop["outsider"])
    assert denied.status_code == 400 and denied.json()["__type"] == "AccessDeniedException"
    assert events(shop, "sejf:Render")[-1]["outcome"] == "denied"

    allowed = record_use(shop, use)
    assert allowed.status_code == 200 and len(allowed.json()["ChecksumKey"]) == 44  # 32 bytes, base64

    for body, code in [({"Action": "secretsmanager:GetSecretValue", "Uses": use["Uses"]}, "InvalidParameterException"),
                       ({"Action": "sejf:Render", "Uses": []}, "InvalidParameterException"),
                       ({"Action": "sejf:Render", "Uses": [{"ARN": arn["ARN"], "VersionId": "no-such-version"}]},
                        "ResourceNotFoundException"),
                       ({"Action": "sejf:Render"}, "ValidationException")]:
        response = record_use(shop, body)
        assert (response.status_code, response.json()["__type"]) == (400, code), body


def test_remote_render_by_an_outsider_is_denied(shop):
    result = sejf("render", "env", "--env", "dev", "--app", "api", "--definitions", str(DEFINITIONS),
                  env=remote_env(shop, shop["outsider"]), check=False)
    assert result.returncode != 0
    assert "AccessDeniedException" in result.stderr and result.stdout == ""


CHILD = """
import os, signal, sys, time
print("started", os.environ["DEBUG"], flush=True)
def stop(number, frame):
    print("signal", number, flush=True)
    sys.exit(int(os.environ.get("EXIT_ON_SIGNAL", "3")))
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGHUP, stop)
while True:
    time.sleep(0.05)
"""


def wait_for(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class Watched:
    """`sejf run --watch` of the CHILD script, its output collected in a file."""

    def __init__(self, shop, tmp_path, *extra):
        self.out = tmp_path / "out.txt"
        self.err = tmp_path / "err.txt"
        script = tmp_path / "child.py"
        script.write_text(CHILD)
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.process = subprocess.Popen(
                [str(SEJF), "run", "--env", "dev", "--app", "api", "--definitions", str(DEFINITIONS), "--watch",
                 "--interval", "0.2", "--grace", "5", *extra, "--", sys.executable, str(script)],
                stdout=out, stderr=err, env=remote_env(shop))

    def lines(self):
        return self.out.read_text().splitlines()

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_run_watch_restarts_the_command_when_a_value_changes(shop, tmp_path):
    watched = Watched(shop, tmp_path)
    try:
        assert wait_for(lambda: watched.lines() == ["started true"]), watched.err.read_text()
        # A new version with the same value changes nothing the command sees: no restart.
        make_client(shop).put_secret_value(SecretId="api/debug", SecretString="true")
        time.sleep(1.0)
        assert watched.lines() == ["started true"]
        run_sejf("config", "set", "api/debug", "false", "--env", "dev", data=shop["data"])
        assert wait_for(lambda: watched.lines()[-1:] == ["started false"]), watched.lines()
        assert watched.lines() == ["started true", "signal 15", "started false"]
        assert "restarting" in watched.err.read_text()
        # SIGTERM to sejf reaches the command, and sejf exits with the command's status.
        watched.process.send_signal(signal.SIGTERM)
        assert watched.process.wait(timeout=10) == 3
        assert watched.lines()[-1] == "signal 15"
    finally:
        watched.stop()
        run_sejf("config", "set", "api/debug", "true", "--env", "dev", data=shop["data"])


def test_run_watch_survives_an_unreachable_server_and_exits_with_the_command(shop, tmp_path):
    own = seed(tmp_path / "data")  # a server of its own (one server per data directory), to stop mid-watch
    second = Server(own["data"])
    watched = Watched(dict(own, endpoint=second.endpoint), tmp_path)
    try:
        assert wait_for(lambda: watched.lines() == ["started true"]), watched.err.read_text()
        assert second.stop() == 0
        assert wait_for(lambda: "cannot check for changes" in watched.err.read_text())
        assert watched.process.poll() is None and watched.lines() == ["started true"]
        # The command ends by itself (SIGHUP makes it exit 3): sejf ends with its status.
        watched.process.send_signal(signal.SIGHUP)
        assert watched.process.wait(timeout=10) == 3
    finally:
        watched.stop()
        second.stop()


def test_run_forwards_signals_and_reports_death_by_signal(shop, tmp_path):
    """Without --watch too: SIGTERM reaches the command; a command killed by a signal makes sejf
    exit with 128 + the signal, as shells report it."""
    script = tmp_path / "sleeper.py"
    script.write_text("import os, signal, time\nprint('up', flush=True)\nsignal.signal(signal.SIGTERM, signal.SIG_DFL)\ntime.sleep(60)\n")
    process = subprocess.Popen([str(SEJF), "run", "--env", "dev", "--app", "api", "--definitions", str(DEFINITIONS),
                                "--", sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=remote_env(shop))
    try:
        assert process.stdout.readline() == "up\n"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("args, message", [
    (["--interval", "0"], "--interval"),
    (["--grace", "-1"], "--grace"),
])
def test_run_watch_rejects_bad_timing(shop, args, message):
    result = sejf("run", "--env", "dev", "--app", "api", "--definitions", str(DEFINITIONS), "--watch", *args,
                  "--", "true", env=remote_env(shop), check=False)
    assert result.returncode != 0 and message in result.stderr


AWKWARD = {
    "PEM_KEY": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n",
    "QUOTES": "it's \"quoted\" `cmd` \\ back\\slash",
    "DOLLARS": "$HOME ${PATH} $(id) %s %n",
    "UNICODE": "zażółć gęślą jaźń — 鍵 🔑",
    "EMPTY": "",
    "LARGE": "x" * 65_536,
}


def test_awkward_values_reach_the_command_exactly_through_run_and_env(shop, tmp_path):
    """Every awkward value, embedded and remote, read back with `env -0` (NUL-separated, so
    newlines survive)."""
    definitions = tmp_path / "environments"
    definitions.mkdir()
    # AWS stores no empty SecretString, so the empty value is a field of a JSON secret.
    variables = "\n".join(f"      {name}: {{ secret: awkward/{name.lower()} }}" for name in AWKWARD if name != "EMPTY")
    variables += "\n      EMPTY: { secret: awkward/json, key: empty }"
    (definitions / "dev.yaml").write_text(f"name: dev\nkubernetes:\n  namespace: awkward\napps:\n  odd:\n    env:\n{variables}\n")
    client = make_client(shop)
    for name, value in AWKWARD.items():
        if name != "EMPTY":
            client.create_secret(Name=f"awkward/{name.lower()}", SecretString=value)
    client.create_secret(Name="awkward/json", SecretString=json.dumps({"empty": ""}))
    args = ["run", "--env", "dev", "--app", "odd", "--definitions", str(definitions)]
    command = ["--", "env", "-0"]
    for result in (sejf(*args, *command, env=remote_env(shop)), sejf(*args, "--data", str(shop["data"]), *command, env=clean_env())):
        seen = dict(entry.split("=", 1) for entry in result.stdout.split("\0") if entry)
        for name, value in AWKWARD.items():
            assert seen[name] == value, name


def test_render_against_moto_works_without_sejf_events(tmp_path):
    """Against an endpoint that is not Sejf (moto's server, which answers the unknown
    `sejf.RecordUse` with an HTML 500): the render still works, with a plain SHA-256 checksum."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=clean_env(MOTO_ALLOW_NONEXISTENT_REGION="true"))  # region "dev"
    try:
        endpoint = f"http://127.0.0.1:{port}"
        def answers():
            try:
                return requests.get(endpoint, timeout=1).status_code < 500
            except requests.exceptions.ConnectionError:
                return False
        assert wait_for(answers, timeout=30), "moto_server did not start"
        client = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="dev", aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        for name, (kind, value) in SEED.items():
            tags = {"Tags": [{"Key": "sejf:kind", "Value": "config"}]} if kind == "config" else {}
            client.create_secret(Name=name, SecretString=value, **tags)
        env = clean_env(SEJF_ENDPOINT=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        rendered = sejf("render", "json", "--env", "dev", "--app", "api", "--definitions", str(DEFINITIONS), env=env)
        assert json.loads(rendered.stdout)["DB_PASSWORD"] == "p@ss word"
        patch = json.loads(sejf("render", "rollout", "--env", "dev", "--app", "api", "--definitions", str(DEFINITIONS), env=env).stdout)
        assert len(patch["spec"]["template"]["metadata"]["annotations"]["sejf.dev/checksum"]) == 64
    finally:
        moto.terminate()
        moto.wait(timeout=10)
