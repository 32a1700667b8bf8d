"""Fixtures for the AWS compatibility tests: a real `sejf server` on a free loopback port, with a
fresh data directory, and real boto3 / AWS CLI clients pointed at it."""
import contextlib
import json
import os
import signal
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


class Server:
    """A running `sejf server`; `stop()` sends SIGTERM and returns the exit status."""

    def __init__(self, data: Path):
        assert SEJF.exists(), f"{SEJF} does not exist: run `swift build` first"
        self.data = data
        self.process = subprocess.Popen(
            [str(SEJF), "server", "--data", str(data), "--listen", "127.0.0.1:0", "--log-level", "warning"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
        line = self.process.stdout.readline()
        assert "listening on http://" in line, f"server did not start: {line!r} {self.process.stderr.read() if self.process.poll() is not None else ''}"
        self.endpoint = line.split("listening on ")[1].split()[0]

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


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
