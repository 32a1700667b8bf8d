"""Rotation of an environment's key-encryption key with the real binary: `sejf key rotate` re-wraps
every data key while a running `sejf server` keeps answering boto3 reads and writes, the change is
audited, `sejf key retire` refuses while the old key is in use and deletes its key file after, and
a restarted server still serves every value."""
import json
import threading
import time
from pathlib import Path

import pytest

from conftest import Server, make_client, run_sejf, running_installation

SECRETS = 200


def kek_list(data, env="dev"):
    return json.loads(run_sejf("key", "kek-list", "--env", env, "--output", "json", data=data).stdout)


def audit_events(data, action):
    out = run_sejf("audit", "export", "--format", "jsonl", "--action", action, data=data).stdout
    return [json.loads(line) for line in out.splitlines() if line]


@pytest.fixture
def installation():
    """A fresh data directory (dev and prod) with its own server; the admin's access key."""
    with running_installation("dev,prod", prefix="sejf-kek-") as installation:
        yield installation


def test_rotation_while_the_server_serves_then_retire_and_restart(installation):
    data = installation["data"]
    client = make_client(installation, "dev")
    expected = {}
    for i in range(SECRETS):
        name = f"svc/{i:03d}"
        client.create_secret(Name=name, SecretString=f"first value of {name}")
        if i % 2 == 0:  # a second version for half of them: the AWSPREVIOUS one must survive too
            client.put_secret_value(SecretId=name, SecretString=f"second value of {name}")
        expected[name] = f"second value of {name}" if i % 2 == 0 else f"first value of {name}"
    prod = make_client(installation, "prod")
    prod.create_secret(Name="prod/only", SecretString="prod value")
    prod_before = kek_list(data, "prod")

    [old] = kek_list(data)
    assert old["active"] and old["versions"] == SECRETS + SECRETS // 2
    assert Path(old["location"]).name == "dev.key"

    stop = threading.Event()
    reads, errors, written = [], [], {}

    def reader():
        mine = make_client(installation, "dev")
        names = sorted(expected)
        i = 0
        while not stop.is_set():
            name = names[i % len(names)]
            i += 1
            try:
                value = mine.get_secret_value(SecretId=name)["SecretString"]
                if value != expected[name]:
                    errors.append(f"{name}: got {value!r}")
                reads.append(time.monotonic())
            except Exception as error:  # noqa: BLE001 - every failure is a finding
                errors.append(f"{name}: {error!r}")

    def writer():
        mine = make_client(installation, "dev")
        i = 0
        while not stop.is_set():
            name = f"written/{i % 5}"
            try:
                if i < 5:
                    mine.create_secret(Name=name, SecretString=f"w{i}")
                else:
                    mine.put_secret_value(SecretId=name, SecretString=f"w{i}")
                written[name] = f"w{i}"
            except Exception as error:  # noqa: BLE001
                errors.append(f"write {name}: {error!r}")
            i += 1
            time.sleep(0.01)

    threads = [threading.Thread(target=reader), threading.Thread(target=reader), threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        rotated = run_sejf("key", "rotate", "--env", "dev", "--batch", "10", data=data)
        finished = time.monotonic()
        time.sleep(0.3)
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    assert errors == []
    during = [t for t in reads if started <= t <= finished]
    assert len(during) > 0, "no read overlapped the rotation"
    assert "is now the active key of environment 'dev'" in rotated.stdout
    assert "re-wrapped" in rotated.stderr  # progress, batch by batch
    assert len(rotated.stderr.splitlines()) >= (SECRETS + SECRETS // 2) // 10

    keys = kek_list(data)
    assert len(keys) == 2
    new, previous = keys
    assert new["active"] and not previous["active"]
    assert previous["keyId"] == old["keyId"] and previous["versions"] == 0
    assert new["versions"] > SECRETS + SECRETS // 2  # every version, and those written meanwhile
    assert Path(new["location"]).name == f"dev.{new['keyId']}.key"
    assert kek_list(data, "prod") == prod_before  # other environments untouched

    # Every value, current and previous, still reads; new writes were sealed with the new key.
    for name, value in expected.items():
        assert client.get_secret_value(SecretId=name)["SecretString"] == value
        if value.startswith("second"):
            previous_value = client.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"]
            assert previous_value == f"first value of {name}"
    for name, value in written.items():
        assert client.get_secret_value(SecretId=name)["SecretString"] == value

    [event] = audit_events(data, "sejf:RotateKey")
    assert event["environment"] == "dev" and event["principal"] == "admin" and event["outcome"] == "allowed"
    assert event["versionId"] == new["keyId"] and event["secretArn"] is None
    assert run_sejf("audit", "verify", data=data).returncode == 0

    # Retire: refused for the active key, done for the old one; its key file is gone.
    refused = run_sejf("key", "retire", "--env", "dev", "--key-id", new["keyId"], data=data, check=False)
    assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1 and "active key" in refused.stderr
    old_file = Path(old["location"])
    assert old_file.exists()
    run_sejf("key", "retire", "--env", "dev", "--key-id", old["keyId"], data=data)
    assert not old_file.exists()
    assert Path(new["location"]).exists()
    assert [k["keyId"] for k in kek_list(data)] == [new["keyId"]]
    retired = audit_events(data, "sejf:RetireKey")
    assert [(e["versionId"], e["outcome"]) for e in retired] == [(new["keyId"], "error"), (old["keyId"], "allowed")]

    # A restarted server (which never had the old key) serves every value.
    assert installation["server"].stop() == 0
    installation["server"] = restarted = Server(data)
    fresh = make_client({**installation, "endpoint": restarted.endpoint}, "dev")
    for name, value in expected.items():
        assert fresh.get_secret_value(SecretId=name)["SecretString"] == value
    assert make_client({**installation, "endpoint": restarted.endpoint}, "prod") \
        .get_secret_value(SecretId="prod/only")["SecretString"] == "prod value"
    assert run_sejf("audit", "verify", data=data).returncode == 0


def test_an_interrupted_rotation_resumes_and_retire_waits_for_it(installation):
    data = installation["data"]
    client = make_client(installation, "dev")
    for i in range(35):
        client.create_secret(Name=f"app/{i}", SecretString=f"value {i}")
    [old] = kek_list(data)

    partial = run_sejf("key", "rotate", "--env", "dev", "--batch", "10", "--max-batches", "2", data=data)
    assert "15 versions are still under an older key" in partial.stdout
    new, previous = kek_list(data)
    assert (new["versions"], previous["versions"]) == (20, 15)

    refused = run_sejf("key", "retire", "--env", "dev", "--key-id", old["keyId"], data=data, check=False)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "15 versions" in refused.stderr and "--resume" in refused.stderr

    # Re-running finishes the same rotation: no third key.
    resumed = run_sejf("key", "rotate", "--env", "dev", "--batch", "10", data=data)
    assert "no new key was made" in resumed.stdout
    assert [(k["keyId"], k["versions"]) for k in kek_list(data)] == [(new["keyId"], 35), (old["keyId"], 0)]
    nothing = run_sejf("key", "rotate", "--env", "dev", "--resume", data=data)
    assert "Nothing to re-wrap" in nothing.stdout
    assert len(kek_list(data)) == 2
    assert len(audit_events(data, "sejf:RotateKey")) == 1

    run_sejf("key", "retire", "--env", "dev", "--key-id", old["keyId"][:8], data=data)
    for i in range(35):
        assert client.get_secret_value(SecretId=f"app/{i}")["SecretString"] == f"value {i}"
    assert run_sejf("audit", "verify", data=data).returncode == 0
