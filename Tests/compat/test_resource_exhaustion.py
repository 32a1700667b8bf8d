"""Resource exhaustion under a running `sejf server`, with boto3 clients:

- a full disk (a small tmpfs under the data directory, filled up): writes fail with a one-line
  `InternalServiceError` that says so, reads that cannot be audited are not served (fail closed),
  nothing is half-written, and once space returns the same server process serves again;
- a read-only data directory (a read-only remount of that tmpfs);
- file-descriptor exhaustion (the server runs with a low `RLIMIT_NOFILE` and gets many more
  connections): it keeps running and serves again once the connections close;
- a database locked by another process (`BEGIN EXCLUSIVE` from Python's sqlite3): requests wait
  for the lock, up to the busy timeout, then fail cleanly; they succeed once it is released;
- a PostgreSQL rotation target that accepts connections and never answers: RotateSecret fails
  within the step timeout, AWSCURRENT is untouched and the server keeps serving meanwhile.

The mounts need root (CI has it); every mount is undone and every server stopped at the end."""
import contextlib
import errno
import json
import os
import resource
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, assert_sound, run_sejf

# Generous, so that a hang shows up as a timeout error rather than as a slow test.
CLIENT_TIMEOUT = 40


# ------------------------------------------------------------------ helpers

@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A tmpfs of `size` mounted at `path` (created), unmounted on exit."""
    if os.geteuid() != 0:
        pytest.fail("these tests mount a tmpfs: run them as root (CI does)")
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], check=True)


def remount(path: Path, mode: str):
    """Remounts the tmpfs at `path` `ro` or `rw`; returns the failed `mount`'s stderr, or None."""
    result = subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], capture_output=True, text=True)
    return result.stderr.strip() if result.returncode != 0 else None


def fill(directory: Path) -> Path:
    """Writes a file in `directory` until the file system is full; returns it."""
    filler = directory / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
        try:  # the last few blocks
            while True:
                out.write(b"\0" * 512)
        except OSError:
            pass
    assert os.statvfs(directory).f_bavail == 0
    return filler


@contextlib.contextmanager
def served(data: Path, log: Path, **server_options):
    """`sejf server` on `data` (stderr to `log`), stopped on exit; it must exit 0 on SIGTERM."""
    with open(log, "a") as log_file:
        server = Server(data, "--rotation-check", "0", log=log_file, **server_options)
        try:
            yield server
        finally:
            assert server.stop() == 0, log.read_text()[-3000:]


@contextlib.contextmanager
def seeded_server(data: Path, log: Path, **server_options):
    """`sejf init` of `data` and a server on it holding the `seeded` secrets; yields
    (server, admin client, {name: value}, admin key)."""
    admin = initialise(data)
    with served(data, log, **server_options) as server:
        client = client_for(server.endpoint, admin)
        yield server, client, seeded(client), admin


def initialise(data: Path) -> dict:
    """`sejf init` of dev; the admin's access key."""
    return json.loads(run_sejf("init", "--environments", "dev", "--output", "json", data=data).stdout)


def client_for(endpoint: str, admin: dict, timeout=CLIENT_TIMEOUT):
    """A boto3 client of the admin, without retries, that gives up after `timeout` seconds."""
    return boto3.client("secretsmanager", endpoint_url=endpoint, region_name="dev",
                        aws_access_key_id=admin["AccessKeyId"], aws_secret_access_key=admin["SecretAccessKey"],
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=timeout))


def failure_of(error: ClientError):
    """(HTTP status, AWS error code, message, request id) of a failed request."""
    response = error.response
    return (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"],
            response["Error"].get("Message", ""), response["ResponseMetadata"].get("RequestId"))


def error_of(call, **kwargs):
    """Runs a request that must fail; returns its `failure_of`."""
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return failure_of(raised.value)


def attempt(call, **kwargs):
    """Runs a request; returns ("ok", response) or ("error", failure_of(error))."""
    try:
        return "ok", call(**kwargs)
    except ClientError as error:
        return "error", failure_of(error)


def version_ids(client, name) -> set:
    return {v["VersionId"] for v in client.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]}


GENERIC = "An internal error occurred; the server's log has the details."


def assert_storage_error(failure, log: Path, *reasons):
    """A clean storage failure: a 500 `InternalServiceError` with AWS's JSON body and the generic
    message (paths and storage reasons are not for clients), and the server's log giving one of
    `reasons` for that request id."""
    status, code, message, request_id = failure
    assert (status, code, message) == (500, "InternalServiceError", GENERIC), failure
    lines = [line for line in log.read_text().splitlines() if f"request_id={request_id}" in line]
    assert lines and any(reason in lines[0] for reason in reasons), (failure, lines)


def assert_read_refused(client, name, log: Path, *reasons):
    """A GetSecretValue that cannot be audited is not served: a storage failure whose log line says
    so (and no value)."""
    failure = error_of(client.get_secret_value, SecretId=name)
    assert_storage_error(failure, log, "could not be audited, so it was not served")
    assert_storage_error(failure, log, *reasons)


def seeded(client):
    """Two versions of db/password and one other secret; returns {name: value}."""
    client.create_secret(Name="db/password", SecretString="old-password")
    client.put_secret_value(SecretId="db/password", SecretString="current-password")
    client.create_secret(Name="api/key", SecretString="api-key-value")
    return {"db/password": "current-password", "api/key": "api-key-value"}


def assert_values(client, values):
    for name, value in values.items():
        assert client.get_secret_value(SecretId=name)["SecretString"] == value


# ------------------------------------------------------------------ disk full

def writes_until_refused(client, limit=400):
    """PutSecretValues until three are refused (the write-ahead log may still have room for a
    few); returns (acknowledged [(token, value)], refused [(token, failure)])."""
    acknowledged, refused = [], []
    for i in range(limit):
        token, value = str(uuid.uuid4()), f"written-on-a-full-disk-{i}-" + "x" * 2000
        outcome, result = attempt(client.put_secret_value, SecretId="db/password", SecretString=value,
                                  ClientRequestToken=token)
        if outcome == "ok":
            acknowledged.append((token, value))
        else:
            refused.append((token, result))
            if len(refused) == 3:
                break
    return acknowledged, refused


def test_disk_full_fails_cleanly_and_recovers_without_restart(tmp_path):
    with tmpfs(tmp_path / "mnt", "3m") as mount:
        data, log = mount / "data", tmp_path / "server.log"
        with seeded_server(data, log) as (server, client, values, _):
            filler = fill(mount)

            acknowledged, refused = writes_until_refused(client)
            assert refused, f"{len(acknowledged)} writes went through on a full disk"
            print(f"full disk: {len(acknowledged)} writes still fitted (the write-ahead log's room), then refused")
            for _, failure in refused:
                assert_storage_error(failure, log, "disk is full", "I/O error")
            create = error_of(client.create_secret, Name="brand/new", SecretString="never-stored")
            assert_storage_error(create, log, "disk is full", "I/O error")
            assert_read_refused(client, "api/key", log, "disk is full", "I/O error")
            assert "written-on-a-full-disk" not in log.read_text() and "api-key-value" not in log.read_text()

            filler.unlink()  # space returns: the same process serves again
            if acknowledged:
                values["db/password"] = acknowledged[-1][1]
            assert_values(client, values)
            ids = version_ids(client, "db/password")
            assert {token for token, _ in acknowledged} <= ids
            assert not {token for token, _ in refused} & ids, "a refused write left a version behind"
            assert error_of(client.describe_secret, SecretId="brand/new")[1] == "ResourceNotFoundException"
            client.put_secret_value(SecretId="db/password", SecretString="after-space-returned")
            assert client.get_secret_value(SecretId="db/password")["SecretString"] == "after-space-returned"
            assert server.process.poll() is None
        assert_sound(data)


# ------------------------------------------------------------------ read-only

def test_read_only_data_directory(tmp_path):
    """A running server holds the database open for writing, so the kernel refuses to remount its
    file system read-only (EBUSY): a read-only directory can only meet a server at its start. It
    refuses to start then, in one line naming the cause; once writable, it starts with everything."""
    with tmpfs(tmp_path / "mnt", "8m") as mount:
        data, log = mount / "data", tmp_path / "server.log"
        with seeded_server(data, log) as (_, _, values, admin):
            refused = remount(mount, "ro")
            assert refused is not None and "busy" in refused, refused
        assert remount(mount, "ro") is None
        try:
            with pytest.raises(AssertionError, match="server did not start"), open(log, "w") as log_file:
                Server(data, log=log_file)
            [line] = log.read_text().splitlines()
            assert line.startswith("sejf: error: InternalServiceError: ") and "Read-only file system" in line, line
        finally:
            assert remount(mount, "rw") is None
        with served(data, log) as server:
            client = client_for(server.endpoint, admin)
            assert_values(client, values)
            client.put_secret_value(SecretId="db/password", SecretString="after-remount")
            assert client.get_secret_value(SecretId="db/password")["SecretString"] == "after-remount"
        assert_sound(data)


# ------------------------------------------------------------------ file descriptors

FD_LIMIT = 96


def low_fd_limit():
    """In the server's child process: at most FD_LIMIT open files."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def open_files(pid) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_file_descriptor_exhaustion_then_serving_again(tmp_path):
    data = tmp_path / "data"
    with seeded_server(data, tmp_path / "server.log", preexec_fn=low_fd_limit) as (server, client, values, _):
        host, port = server.endpoint.removeprefix("http://").split(":")
        for _ in range(2):
            connections = [socket.create_connection((host, int(port)), timeout=5) for _ in range(300)]
            deadline = time.monotonic() + 10
            while open_files(server.process.pid) < FD_LIMIT - 2:  # it accepts until it runs out
                assert time.monotonic() < deadline, f"only {open_files(server.process.pid)} descriptors in use"
                time.sleep(0.1)
            time.sleep(0.5)
            assert server.process.poll() is None
            for connection in connections:
                connection.close()
            deadline = time.monotonic() + 30
            while attempt(client.get_secret_value, SecretId="api/key")[0] != "ok":
                assert time.monotonic() < deadline and server.process.poll() is None, "the server did not serve again"
                time.sleep(0.5)
            for i in range(20):
                client.put_secret_value(SecretId="db/password", SecretString=f"after-{i}")
            values["db/password"] = "after-19"
            assert_values(client, values)
    assert_sound(data)


# ------------------------------------------------------------------ a locked database

@contextlib.contextmanager
def exclusive_lock(database: Path):
    """Another process's view: a Python sqlite3 connection holding `BEGIN EXCLUSIVE`."""
    connection = sqlite3.connect(str(database), timeout=30, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    try:
        yield connection
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def in_thread(call, **kwargs):
    """Starts `attempt(call, **kwargs)` in a thread; returns a function that waits for its outcome."""
    result = {}
    thread = threading.Thread(target=lambda: result.update(outcome=attempt(call, **kwargs)))
    thread.start()

    def outcome():
        thread.join(CLIENT_TIMEOUT + 5)
        assert "outcome" in result, "the request hung"
        return result["outcome"]
    return outcome


def test_a_locked_database_makes_requests_wait_then_fail_cleanly(tmp_path):
    data, log = tmp_path / "data", tmp_path / "server.log"
    with seeded_server(data, log) as (_, client, values, _):

        # Released within the busy timeout: the waiting requests go through.
        with exclusive_lock(data / "sejf.db"):
            put = in_thread(client.put_secret_value, SecretId="db/password", SecretString="written-after-the-wait")
            read = in_thread(client.get_secret_value, SecretId="api/key")
            time.sleep(1.5)
        assert put()[0] == "ok" and read()[0] == "ok"
        values["db/password"] = "written-after-the-wait"

        # Held past the busy timeout (10 s): both fail cleanly, the read is not served.
        token = str(uuid.uuid4())
        with exclusive_lock(data / "sejf.db"):
            started = time.monotonic()
            put = in_thread(client.put_secret_value, SecretId="db/password", SecretString="never-stored",
                            ClientRequestToken=token)
            read = in_thread(client.get_secret_value, SecretId="api/key")
            put_outcome, read_outcome = put(), read()
            waited = time.monotonic() - started
        assert put_outcome[0] == "error" and read_outcome[0] == "error", (put_outcome, read_outcome)
        assert_storage_error(put_outcome[1], log, "stayed locked by another process")
        assert_storage_error(read_outcome[1], log, "could not be audited, so it was not served")
        assert_storage_error(read_outcome[1], log, "stayed locked by another process")
        assert waited > 5, f"the requests failed after {waited:.1f} s instead of waiting for the lock"

        assert_values(client, values)  # released: served again, nothing half-written
        assert token not in version_ids(client, "db/password")
    assert_sound(data)


# ------------------------------------------------------------------ a PostgreSQL target that hangs

@contextlib.contextmanager
def silent_listener():
    """A loopback TCP port that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_a_hanging_postgres_target_fails_the_rotation_in_time(tmp_path):
    data = tmp_path / "data"
    admin = initialise(data)
    with served(data, tmp_path / "server.log") as server, silent_listener() as port:
        client = client_for(server.endpoint, admin, timeout=60)
        secret = json.dumps({"engine": "postgres", "host": "127.0.0.1", "port": port, "username": "app", "password": "pw-1"})
        client.create_secret(Name="db/hanging", SecretString=secret)
        client.create_secret(Name="api/key", SecretString="api-key-value")
        rotation = in_thread(client.rotate_secret, SecretId="db/hanging", RotationLambdaARN="sejf:postgres-single-user",
                             RotationRules={"AutomaticallyAfterDays": 30})
        time.sleep(1)
        assert client.get_secret_value(SecretId="api/key")["SecretString"] == "api-key-value"  # served meanwhile
        outcome, failure = rotation()
        assert outcome == "error", failure
        status, code, message, _ = failure
        print(f"RotateSecret against a silent PostgreSQL: {failure}")
        assert (status, code) == (400, "InvalidRequestException"), failure
        assert f"127.0.0.1:{port}" in message and "timed out" in message and "AWSCURRENT is unchanged" in message, failure
        assert "pw-1" not in message
        assert client.get_secret_value(SecretId="db/hanging")["SecretString"] == secret  # AWSCURRENT untouched
    assert_sound(data)
