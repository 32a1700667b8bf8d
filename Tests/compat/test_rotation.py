"""Rotation end to end, against a real PostgreSQL 15 server started for this module and the real
`sejf` binary (embedded) and `sejf server` (boto3): single-user and alternating-users rotation,
rollback, a rotation killed mid-way and resumed, the release workflow (`sejf rotate --due-within`)
and the bad inputs that must leave AWSCURRENT alone."""
import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from conftest import SEJF, Server, assert_sound, clean_env, make_client
from pgserver import PostgresServer


@pytest.fixture(scope="module")
def pg():
    with PostgresServer() as server:
        yield server


@pytest.fixture
def world(tmp_path):
    """A fresh data directory (dev, prod) with environment definitions declaring two hooks."""
    data = tmp_path / "data"
    definitions = tmp_path / "environments"
    definitions.mkdir()
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK)
    hook.chmod(0o755)
    for env in ("dev", "prod"):
        (definitions / f"{env}.yaml").write_text(
            f"name: {env}\nkubernetes:\n  namespace: shop-{env}\nrotation:\n  hooks:\n"
            f"    pausing: [{hook}, {tmp_path}]\n")
    env = clean_env(SEJF_DATA=str(data), SEJF_ENV="prod", SEJF_DEFINITIONS=str(definitions))
    out = subprocess.run([str(SEJF), "init", "--environments", "dev,prod", "--output", "json"], env=env,
                         capture_output=True, text=True, check=True)
    return {"data": data, "env": env, "tmp": tmp_path, "admin": json.loads(out.stdout)}


def sejf(world, *args, check=True, timeout=60):
    result = subprocess.run([str(SEJF), *args], capture_output=True, text=True, env=world["env"], timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"sejf {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def value(world, name):
    return sejf(world, "secret", "get", name).stdout.rstrip("\n")


def describe(world, name):
    return json.loads(sejf(world, "secret", "describe", name, "--output", "json").stdout)


def current_version(world, name):
    return next(v for v, stages in describe(world, name)["VersionIdsToStages"].items() if "AWSCURRENT" in stages)


def app_role(pg, user, password):
    pg.psql(f"DROP ROLE IF EXISTS {user}_clone; DROP ROLE IF EXISTS {user}")
    pg.psql(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")


def test_single_user_rotation_then_rollback(pg, world):
    app_role(pg, "single", "first-password")
    sejf(world, "secret", "create", "db/credentials", "--value", json.dumps(pg.secret("single", "first-password")))
    first = current_version(world, "db/credentials")

    out = sejf(world, "secret", "rotation", "set", "db/credentials", "--rotator", "sejf:postgres-single-user", "--days", "30").stdout
    assert "is AWSCURRENT" in out
    rotated = json.loads(value(world, "db/credentials"))
    assert rotated["password"] != "first-password" and rotated["username"] == "single"
    assert not pg.can_login("single", "first-password")
    assert pg.can_login("single", rotated["password"])
    d = describe(world, "db/credentials")
    assert d["RotationEnabled"] and d["LastRotatedDate"] and d["NextRotationDate"] > d["LastRotatedDate"]
    assert d["VersionIdsToStages"][first] == ["AWSPREVIOUS"]

    sejf(world, "rollback", "db/credentials")
    assert json.loads(value(world, "db/credentials"))["password"] == "first-password"
    assert pg.can_login("single", "first-password")  # the database agrees with AWSCURRENT again
    assert not pg.can_login("single", rotated["password"])
    assert current_version(world, "db/credentials") == first

    trail = sejf(world, "audit", "export", "--format", "jsonl", "--secret", "db/credentials").stdout
    actions = [json.loads(line)["action"] for line in trail.splitlines()]
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        assert f"sejf:Rotation.{step}" in actions
    assert "sejf:Rollback.finishSecret" in actions
    assert "first-password" not in trail and rotated["password"] not in trail


def test_alternating_users_keep_one_working_login(pg, world):
    app_role(pg, "alt", "alt-password")
    pg.psql("DROP TABLE IF EXISTS orders; CREATE TABLE orders (id int); INSERT INTO orders VALUES (42); GRANT SELECT ON orders TO alt")
    master_arn = json.loads(sejf(world, "secret", "create", "db/master", "--output", "json", "--value",
                                 json.dumps(pg.secret("postgres", pg.superuser_password))).stdout)["ARN"]
    sejf(world, "secret", "create", "db/alt", "--value", json.dumps(pg.secret("alt", "alt-password", masterarn=master_arn)))

    sejf(world, "secret", "rotation", "set", "db/alt", "--rotator", "sejf:postgres-alternating-users", "--days", "30")
    first = json.loads(value(world, "db/alt"))
    assert first["username"] == "alt_clone" and first["masterarn"] == master_arn
    assert pg.can_login("alt_clone", first["password"])
    assert pg.can_login("alt", "alt-password")  # the original still works during the switch
    assert pg.psql("SELECT id FROM orders", user="alt_clone", password=first["password"]) == "42"  # privileges copied

    sejf(world, "rotate", "db/alt")
    second = json.loads(value(world, "db/alt"))
    assert second["username"] == "alt" and second["password"] != "alt-password"
    assert pg.can_login("alt", second["password"])
    assert pg.can_login("alt_clone", first["password"])  # the previous credentials keep working


HOOK = """#!/usr/bin/env python3
# A rotation hook for the tests: records each step; while <dir>/pause exists, it writes its pid to
# <dir>/paused and waits at the step named in the pause file (testSecret when it is empty).
import os, sys, time
directory = sys.argv[1]
step = os.environ["SEJF_ROTATION_STEP"]
with open(os.path.join(directory, "steps.log"), "a") as log:
    log.write(step + " " + os.environ["SEJF_ROTATION_TOKEN"] + "\\n")
if step == "createSecret":
    sys.stdout.write("hook-value-" + os.environ["SEJF_ROTATION_TOKEN"])
pause = os.path.join(directory, "pause")
if os.path.exists(pause) and step == (open(pause).read().strip() or "testSecret"):
    with open(os.path.join(directory, "paused.tmp"), "w") as note:
        note.write(str(os.getpid()))
    os.rename(os.path.join(directory, "paused.tmp"), os.path.join(directory, "paused"))
    time.sleep(120)
if os.path.exists(os.path.join(directory, "fail-" + step)):
    sys.exit(5)
"""

STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]


@pytest.mark.parametrize("step", STEPS)
def test_a_rotation_killed_at_a_step_completes_on_resume(world, step):
    """`kill -9` of `sejf rotate` while the hook runs `step`: AWSCURRENT is untouched, the store
    is sound, and the next `sejf rotate` resumes at that step (not from the start)."""
    tmp = world["tmp"]
    sejf(world, "secret", "create", "api/key", "--value", "before")
    sejf(world, "secret", "rotation", "set", "api/key", "--rotator", "sejf:hook:pausing", "--days", "7", "--no-rotate-now")
    (tmp / "pause").write_text(step)
    process = subprocess.Popen([str(SEJF), "rotate", "api/key"], env=world["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not (tmp / "paused").exists():
        assert time.monotonic() < deadline and process.poll() is None, f"the hook never reached {step}"
        time.sleep(0.05)
    process.kill()  # kill -9 in the middle of the step
    process.wait()
    os.kill(int((tmp / "paused").read_text()), signal.SIGKILL)  # the orphaned hook, by its pid

    assert_sound(world["data"])
    status = describe(world, "api/key")["SejfRotation"]
    assert status["NextStep"] == step and status["Kind"] == "rotate"
    token = status["VersionId"]
    assert value(world, "api/key") == "before"  # AWSCURRENT untouched
    (tmp / "pause").unlink()

    sejf(world, "rotate", "api/key")
    assert value(world, "api/key") == f"hook-value-{token}"
    steps = (tmp / "steps.log").read_text().split()[0::2]
    done = STEPS.index(step)
    assert steps == STEPS[:done + 1] + STEPS[done:]  # resumed at the killed step, not restarted
    assert "SejfRotation" not in describe(world, "api/key")
    assert_sound(world["data"])


def test_a_failing_step_leaves_awscurrent_and_is_reported(world):
    tmp = world["tmp"]
    sejf(world, "secret", "create", "api/key", "--value", "before")
    (tmp / "fail-setSecret").touch()
    result = sejf(world, "secret", "rotation", "set", "api/key", "--rotator", "sejf:hook:pausing", "--days", "7", check=False)
    assert result.returncode == 1 and "failed at setSecret" in result.stderr and "AWSCURRENT is unchanged" in result.stderr
    assert value(world, "api/key") == "before"
    status = describe(world, "api/key")["SejfRotation"]
    assert status["NextStep"] == "setSecret" and status["Failures"] == 1 and "exit status 5" in status["LastError"]
    text = sejf(world, "secret", "describe", "api/key").stdout
    assert "Last error" in text and "next step setSecret" in text
    events = [json.loads(line) for line in sejf(world, "audit", "export", "--format", "jsonl", "--action", "sejf:Rotation.setSecret").stdout.splitlines()]
    assert events[-1]["outcome"] == "error" and events[-1]["userAgent"] == "sejf-rotator sejf:hook:pausing"


@pytest.mark.parametrize("secret, rotator, message", [
    ({"host": "127.0.0.1", "port": 1, "username": "x", "password": "p"}, "sejf:postgres-single-user", "127.0.0.1:1"),
    ({"host": "127.0.0.1", "port": 5432, "password": "p"}, "sejf:postgres-single-user", "username"),
    ({"host": "127.0.0.1", "port": 5432, "username": "x"}, "sejf:postgres-single-user", "password"),
    ({"host": "127.0.0.1", "port": 5432, "username": "x", "password": "p"}, "sejf:postgres-alternating-users", "masterarn"),
])
def test_bad_database_secrets_fail_clearly_and_keep_awscurrent(world, secret, rotator, message):
    sejf(world, "secret", "create", "db/bad", "--value", json.dumps(secret))
    result = sejf(world, "secret", "rotation", "set", "db/bad", "--rotator", rotator, "--days", "1", check=False, timeout=30)
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert json.loads(value(world, "db/bad")) == secret
    assert "p\"" not in result.stderr and "\"p\"" not in result.stderr


def test_wrong_master_credentials_fail_clearly(pg, world):
    app_role(pg, "wm", "wm-password")
    master_arn = json.loads(sejf(world, "secret", "create", "db/master", "--output", "json", "--value",
                                 json.dumps(pg.secret("postgres", "not-the-password"))).stdout)["ARN"]
    sejf(world, "secret", "create", "db/wm", "--value", json.dumps(pg.secret("wm", "wm-password", masterarn=master_arn)))
    result = sejf(world, "secret", "rotation", "set", "db/wm", "--rotator", "sejf:postgres-alternating-users", "--days", "1", check=False)
    assert result.returncode == 1 and "authentication" in result.stderr.lower(), result.stderr
    assert "not-the-password" not in result.stderr
    assert json.loads(value(world, "db/wm"))["username"] == "wm"
    assert pg.can_login("wm", "wm-password")


def test_release_workflow_rotates_what_comes_due(world):
    for name, days in (("soon/a", 1), ("soon/b", 3), ("later/c", 30)):
        sejf(world, "secret", "create", name, "--value", "v")
        sejf(world, "secret", "rotation", "set", name, "--rotator", "sejf:random", "--days", str(days), "--no-rotate-now")
    sejf(world, "secret", "create", "never/d", "--value", "v")
    listing = sejf(world, "rotate", "--due-within", "7d", "--dry-run").stdout
    assert "soon/a" in listing and "soon/b" in listing and "later/c" not in listing and "never/d" not in listing
    assert value(world, "soon/a") == "v"  # a dry run changes nothing
    sejf(world, "rotate", "--due-within", "7d")
    assert value(world, "soon/a") != "v" and value(world, "soon/b") != "v"
    assert value(world, "later/c") == "v" and value(world, "never/d") == "v"
    bad = sejf(world, "rotate", "--due-within", "soon", check=False)
    assert bad.returncode != 0 and "duration" in bad.stderr.lower()


def test_boto3_rotate_secret_against_the_server(world):
    server = Server(world["data"])
    try:
        client = make_client({"endpoint": server.endpoint, "key_id": world["admin"]["AccessKeyId"],
                              "secret": world["admin"]["SecretAccessKey"]}, region="prod")
        client.create_secret(Name="api/token", SecretString="old")
        response = client.rotate_secret(SecretId="api/token", RotationLambdaARN="sejf:random?length=24",
                                        RotationRules={"ScheduleExpression": "rate(4 hours)"})
        assert len(response["VersionId"]) == 36
        current = client.get_secret_value(SecretId="api/token")
        assert current["VersionId"] == response["VersionId"] and len(current["SecretString"]) == 24
        d = client.describe_secret(SecretId="api/token")
        assert d["RotationEnabled"] and d["RotationRules"]["ScheduleExpression"] == "rate(4 hours)"
        assert d["LastRotatedDate"] and d["NextRotationDate"]
        with pytest.raises(ClientError) as excinfo:
            client.rotate_secret(SecretId="api/token", RotationLambdaARN="arn:aws:lambda:prod:123456789012:function:x")
        assert excinfo.value.response["Error"]["Code"] == "InvalidParameterException"
        with pytest.raises(ClientError) as excinfo:
            client.rotate_secret(SecretId="api/token", RotationRules={"ScheduleExpression": "rate(1 hours)"})
        assert excinfo.value.response["Error"]["Code"] in ("InvalidParameterException", "ValidationException")
        assert client.get_secret_value(SecretId="api/token")["VersionId"] == response["VersionId"]
    finally:
        assert server.stop() == 0


def test_the_server_scheduler_rotates_a_due_secret(world):
    """`sejf server --rotation-check 1` rotates a secret once its NextRotationDate has passed (set
    in the past directly in the database, since the schedule's earliest is hours away)."""
    sejf(world, "secret", "create", "api/scheduled", "--value", "before")
    sejf(world, "secret", "rotation", "set", "api/scheduled", "--rotator", "sejf:random", "--days", "1", "--no-rotate-now")
    with sqlite3.connect(world["data"] / "sejf.db") as db:
        db.execute("UPDATE secrets SET next_rotation_at = 0 WHERE name = 'api/scheduled'")
    env = clean_env(SEJF_DEFINITIONS=str(world["tmp"] / "environments"))
    process = subprocess.Popen([str(SEJF), "server", "--data", str(world["data"]), "--listen", "127.0.0.1:0",
                                "--rotation-check", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        while value(world, "api/scheduled") == "before":
            assert time.monotonic() < deadline and process.poll() is None, "the scheduler did not rotate the secret"
            time.sleep(0.2)
        d = describe(world, "api/scheduled")
        assert d["NextRotationDate"] > time.time() and d["LastRotatedDate"] <= time.time()
        events = sejf(world, "audit", "export", "--format", "jsonl", "--action", "sejf:Rotation.finishSecret").stdout.splitlines()
        assert json.loads(events[-1])["principal"] == "sejf-scheduler"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert "rotated" in process.stderr.read() + process.stdout.read()
