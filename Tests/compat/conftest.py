"""Fixtures for the AWS compatibility tests: a real `sejf server` on a free loopback port, with a
fresh data directory, and real boto3 / AWS CLI clients pointed at it."""
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
SEJF = Path(os.environ.get("SEJF_BIN", REPO / ".build" / "debug" / "sejf"))


def clean_env(**extra):
    """The test process's environment without SEJF_* or AWS_* variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEJF_", "AWS_"))}
    env.update(extra)
    return env


def run_sejf(*args, data, check=True, env=None, input=None):
    result = subprocess.run([str(SEJF), *args, "--data", str(data)], capture_output=True, text=True,
                            env=env or clean_env(), input=input, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"sejf {' '.join(args)} failed: {result.stderr}")
    return result


def stop_process(process: subprocess.Popen, sig=signal.SIGTERM, timeout=20):
    """Sends `sig` to a process this test started (unless it has exited), waits up to `timeout`
    seconds, then SIGKILLs it; returns its exit status."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def integrity_check(database: Path) -> list:
    """`PRAGMA integrity_check` on a read-only sqlite3 connection: `["ok"]` when the file is sound."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()


def assert_sound(data: Path):
    """The data directory's database passes `PRAGMA integrity_check` and `sejf audit verify`."""
    assert integrity_check(data / "sejf.db") == ["ok"]
    verify = run_sejf("audit", "verify", data=data, check=False)
    assert verify.returncode == 0 and verify.stdout.startswith("ok"), verify.stdout + verify.stderr


class Server:
    """A running `sejf server`; `stop()` sends SIGTERM and returns the exit status.

    `args` are extra server flags, `env` replaces the clean environment, `log` (an open file)
    takes stderr instead of a pipe (a pipe nobody reads blocks a server that logs a lot), and
    `preexec_fn` runs in the child before exec (e.g. to lower its limits)."""

    def __init__(self, data: Path, *args, env=None, log=None, preexec_fn=None):
        assert SEJF.exists(), f"{SEJF} does not exist: run `swift build` first"
        self.data = data
        self.process = subprocess.Popen(
            [str(SEJF), "server", "--data", str(data), "--listen", "127.0.0.1:0", "--log-level", "warning", *args],
            stdout=subprocess.PIPE, stderr=log or subprocess.PIPE, text=True, env=env or clean_env(),
            preexec_fn=preexec_fn)
        line = self.process.stdout.readline()
        if "listening on http://" not in line:
            stop_process(self.process, timeout=10)
            raise AssertionError(f"server did not start: {line!r} {self.process.stderr.read() if log is None else ''}")
        self.endpoint = line.split("listening on ")[1].split()[0]

    def stop(self, sig=signal.SIGTERM, timeout=20):
        return stop_process(self.process, sig, timeout)


@contextlib.contextmanager
def running_installation(environments="dev,staging,prod", prefix="sejf-compat-"):
    """A fresh data directory with its own server; the admin's access key. The server must exit 0."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        data = Path(tmp) / "data"
        report = json.loads(run_sejf("init", "--environments", environments, "--output", "json", data=data).stdout)
        server = Server(data)
        installation = {"data": data, "server": server, "endpoint": server.endpoint,
                        "key_id": report["AccessKeyId"], "secret": report["SecretAccessKey"]}
        try:
            yield installation
        finally:
            server = installation["server"]  # a test may have restarted it
            assert server.stop() == 0, server.process.stderr.read()


@pytest.fixture(scope="session")
def installation():
    """One initialised data directory and server for the session."""
    with running_installation() as installation:
        yield installation


def make_client(installation, region="dev", key_id=None, secret=None, validate=True):
    """A boto3 client; `validate=False` turns off botocore's client-side checks, so bad input
    reaches the server."""
    return boto3.client(
        "secretsmanager", endpoint_url=installation["endpoint"], region_name=region,
        aws_access_key_id=key_id or installation["key_id"],
        aws_secret_access_key=secret or installation["secret"],
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate))


@pytest.fixture
def client(installation):
    return make_client(installation)


@pytest.fixture
def unchecked_client(installation):
    """A client that sends what it is given, without botocore's own validation."""
    return make_client(installation, validate=False)


@pytest.fixture
def unique():
    """A name no other test uses."""
    counter = {"n": 0}

    def make(prefix="test"):
        counter["n"] += 1
        return f"{prefix}/{time.time_ns()}-{counter['n']}"
    return make
