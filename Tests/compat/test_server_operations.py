"""Operating `sejf server`: health and readiness, Prometheus metrics, JSON logs, the admin
listener, TLS (1.2+, reload on SIGHUP), settings from variables and a config file, graceful
shutdown and `sejf healthcheck` — each against a real server process of its own."""
import json
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import SEJF, clean_env, make_client, run_sejf, stop_process


class Running:
    """`sejf server` with the given arguments and environment; parses the ports it reports."""

    def __init__(self, data, *args, env=None):
        # Logs go to a file: a pipe nobody reads fills up after ~64 KiB of request lines, and the
        # server would then block on its next log write.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([str(SEJF), "server", "--data", str(data), *args], stdout=subprocess.PIPE,
                                        stderr=self.log, text=True, env=env or clean_env())
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.process.wait(timeout=10)
            raise AssertionError(f"server did not start: {line!r} {self.logs()}")
        self.endpoint = line.split("listening on ")[1].split()[0]
        self.admin = line.split("admin on ")[1].split(")")[0] if "admin on" in line else self.endpoint

    def stop(self):
        return stop_process(self.process)

    def logs(self):
        """Stops the server; what it logged."""
        self.stop()
        self.log.seek(0)
        return self.log.read()


@pytest.fixture
def data(tmp_path):
    data = tmp_path / "data"
    report = json.loads(run_sejf("init", "--environments", "dev,prod", "--output", "json", data=data).stdout)
    return {"path": data, "key_id": report["AccessKeyId"], "secret": report["SecretAccessKey"]}


def client(data, endpoint, verify=None):
    """A boto3 client of the admin; `verify` is a CA bundle for TLS."""
    return boto3.client("secretsmanager", endpoint_url=endpoint, region_name="dev", aws_access_key_id=data["key_id"],
                        aws_secret_access_key=data["secret"], verify=verify, config=Config(retries={"max_attempts": 1}))


def test_health_readiness_and_metrics_on_the_api_listener(data):
    server = Running(data["path"], "--listen", "127.0.0.1:0")
    try:
        assert requests.get(server.endpoint + "/healthz", timeout=5).text == "ok\n"
        ready = requests.get(server.endpoint + "/readyz", timeout=15)
        assert ready.status_code == 200 and ready.text == "ready\n"
        c = client(data, server.endpoint)
        c.create_secret(Name="db/password", SecretString="hunter2-metrics")
        c.get_secret_value(SecretId="db/password")
        with pytest.raises(ClientError):
            c.get_secret_value(SecretId="no/such")
        with pytest.raises(ClientError):
            make_client({"endpoint": server.endpoint, "key_id": data["key_id"], "secret": "wrong" * 8}).list_secrets()
        metrics = requests.get(server.endpoint + "/metrics", timeout=5)
        assert metrics.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = metrics.text
        for line in ['sejf_requests_total{operation="GetSecretValue",outcome="success"} 1',
                     'sejf_requests_total{operation="GetSecretValue",outcome="error"} 1',
                     'sejf_request_errors_total{code="ResourceNotFoundException"} 1',
                     'sejf_sigv4_failures_total{reason="InvalidSignatureException"} 1',
                     'sejf_secrets{environment="dev"} 1', 'sejf_secrets{environment="prod"} 0']:
            assert line in text, line
        assert 'sejf_request_duration_seconds_bucket{operation="GetSecretValue",outcome="success",le="+Inf"} 1' in text
        assert "sejf_audit_commit_seconds_count" in text and "sejf_audit_queue_depth" in text
        assert "sejf_requests_in_flight" in text
        database_bytes = next(float(l.split()[-1]) for l in text.splitlines() if l.startswith("sejf_database_bytes"))
        assert database_bytes > 4096
        assert "hunter2-metrics" not in text and "db/password" not in text  # no values, no secret names as labels
    finally:
        assert server.stop() == 0


def test_readiness_flips_while_the_audit_writer_cannot_write(data):
    """Another process holds SQLite's write lock: audit events cannot be committed, so the server
    is not ready (and reads would fail closed); once the lock goes, it is ready again."""
    server = Running(data["path"], "--listen", "127.0.0.1:0")
    blocker = sqlite3.connect(data["path"] / "sejf.db", isolation_level=None, timeout=1)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        ready = requests.get(server.endpoint + "/readyz", timeout=30)
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["audit"] != "ok" and checks["database"] == "ok"
        blocker.execute("ROLLBACK")
        assert requests.get(server.endpoint + "/readyz", timeout=30).status_code == 200
    finally:
        blocker.close()
        assert server.stop() == 0


PROMETHEUS_SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? '
                               r'(-?[0-9.e+-]+|\+Inf|-Inf|NaN)$')


def test_metrics_is_valid_prometheus_text(data):
    server = Running(data["path"], "--listen", "127.0.0.1:0")
    try:
        client(data, server.endpoint).list_secrets()
        text = requests.get(server.endpoint + "/metrics", timeout=5).text
        assert text.endswith("\n")
        types = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ")
                assert kind in ("counter", "gauge", "histogram", "summary", "untyped")
                types[name] = kind
            elif line and not line.startswith("#"):
                assert PROMETHEUS_SAMPLE.match(line), line
                family = re.sub(r"(_bucket|_sum|_count)$", "", line.split("{")[0].split(" ")[0])
                assert family in types or line.split("{")[0].split(" ")[0] in types, line
        assert types["sejf_request_duration_seconds"] == "histogram" and types["sejf_requests_total"] == "counter"
    finally:
        assert server.stop() == 0


def test_readiness_names_a_missing_environment_key(data):
    keys = data["path"] / "keys"
    shutil.move(keys / "prod.key", data["path"] / "prod.key.away")
    server = Running(data["path"], "--listen", "127.0.0.1:0")
    try:
        assert requests.get(server.endpoint + "/healthz", timeout=5).status_code == 200
        ready = requests.get(server.endpoint + "/readyz", timeout=15)
        assert ready.status_code == 503
        report = ready.json()
        assert report["ready"] is False and report["checks"]["database"] == "ok" and report["checks"]["audit"] == "ok"
        assert "prod" in report["checks"]["keys"]
        shutil.move(data["path"] / "prod.key.away", keys / "prod.key")
        assert requests.get(server.endpoint + "/readyz", timeout=15).status_code == 200  # the key is found once it is back
    finally:
        assert server.stop() == 0


def test_admin_listener_serves_the_probes_and_the_api_listener_does_not(data):
    server = Running(data["path"], "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
    try:
        assert server.admin != server.endpoint
        assert requests.get(server.admin + "/readyz", timeout=15).status_code == 200
        assert "sejf_requests_in_flight" in requests.get(server.admin + "/metrics", timeout=5).text
        assert requests.get(server.endpoint + "/metrics", timeout=5).status_code in (404, 405)
        assert requests.post(server.admin + "/", data="{}", timeout=5).status_code in (404, 405)
        client(data, server.endpoint).list_secrets()
    finally:
        assert server.stop() == 0


def test_json_logs_carry_the_request_and_never_a_value(data):
    server = Running(data["path"], "--listen", "127.0.0.1:0", "--log-format", "json")
    c = client(data, server.endpoint)
    c.create_secret(Name="log/secret", SecretString="value-that-must-not-be-logged")
    c.get_secret_value(SecretId="log/secret")
    logs = server.logs()
    assert server.process.returncode == 0
    lines = [json.loads(line) for line in logs.splitlines() if line.strip()]
    requests_logged = [l for l in lines if l["message"] == "request"]
    get = next(l for l in requests_logged if l["operation"] == "GetSecretValue")
    assert get["principal"] == "admin" and get["status"] == "200" and get["level"] == "info"
    assert len(get["request_id"]) == 36 and float(get["duration_ms"]) >= 0 and get["timestamp"].endswith("Z")
    assert "value-that-must-not-be-logged" not in logs and data["secret"] not in logs and "Signature=" not in logs


def make_certificate(directory: Path, name: str):
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def served_certificate_cn(port):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, context.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
    pem = ssl.DER_cert_to_PEM_cert(der)
    return subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem, capture_output=True, text=True).stdout


def test_tls_serves_boto3_refuses_old_protocols_and_reloads_on_sighup(data, tmp_path):
    cert, key = make_certificate(tmp_path, "first")
    server = Running(data["path"], "--listen", "127.0.0.1:0", "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert server.endpoint.startswith("https://")
        port = int(server.endpoint.rsplit(":", 1)[1])
        c = client(data, server.endpoint, verify=str(cert))
        c.create_secret(Name="tls/secret", SecretString="over-tls")
        assert c.get_secret_value(SecretId="tls/secret")["SecretString"] == "over-tls"
        aws = subprocess.run(["aws", "--endpoint-url", server.endpoint, "--region", "dev", "--ca-bundle", str(cert),
                              "secretsmanager", "get-secret-value", "--secret-id", "tls/secret", "--output", "json"],
                             capture_output=True, text=True, timeout=60,
                             env=clean_env(AWS_ACCESS_KEY_ID=data["key_id"], AWS_SECRET_ACCESS_KEY=data["secret"]))
        assert aws.returncode == 0 and json.loads(aws.stdout)["SecretString"] == "over-tls", aws.stderr
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)  # plain HTTP is not spoken
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname = False
        old.verify_mode = ssl.CERT_NONE
        old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        old.maximum_version = ssl.TLSVersion.TLSv1_1
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, old.wrap_socket(raw):
                pass
        assert "CN = first" in served_certificate_cn(port)

        # SIGHUP with new files in place: new connections get the new certificate; no restart.
        second_cert, second_key = make_certificate(tmp_path, "second")
        shutil.copy(second_cert, cert)
        shutil.copy(second_key, key)
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "CN = second" not in served_certificate_cn(port):
            assert time.monotonic() < deadline, "the certificate was not reloaded"
            time.sleep(0.1)
        assert server.process.poll() is None
        assert client(data, server.endpoint, verify=str(second_cert)).get_secret_value(SecretId="tls/secret")["SecretString"] == "over-tls"
    finally:
        assert server.stop() == 0


def test_a_certificate_that_does_not_match_its_key_is_refused(data, tmp_path):
    cert, _ = make_certificate(tmp_path, "one")
    _, other_key = make_certificate(tmp_path, "two")
    result = subprocess.run([str(SEJF), "server", "--data", str(data["path"]), "--listen", "127.0.0.1:0",
                             "--tls-cert", str(cert), "--tls-key", str(other_key)], capture_output=True, text=True,
                            env=clean_env(), timeout=30)
    assert result.returncode != 0 and "does not match" in result.stderr


def test_tls_files_replaced_without_a_signal_are_picked_up(data, tmp_path):
    cert, key = make_certificate(tmp_path, "before")
    server = Running(data["path"], "--listen", "127.0.0.1:0", "--tls-cert", str(cert), "--tls-key", str(key),
                     "--tls-reload-check", "1")
    try:
        port = int(server.endpoint.rsplit(":", 1)[1])
        assert "CN = before" in served_certificate_cn(port)
        new_cert, new_key = make_certificate(tmp_path, "after")
        shutil.copy(new_key, key)
        shutil.copy(new_cert, cert)
        deadline = time.monotonic() + 15
        while "CN = after" not in served_certificate_cn(port):
            assert time.monotonic() < deadline, "the replaced certificate was not picked up"
            time.sleep(0.2)
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("args, message", [
    (["--tls-cert", "/nonexistent.crt", "--tls-key", "/nonexistent.key"], "/nonexistent.crt"),
    (["--tls-cert", "/etc/hostname"], "both"),
    (["--listen", "nonsense"], "listen"),
    (["--admin-listen", "127.0.0.1:99999"], "admin-listen"),
    (["--log-format", "xml"], "log-format"),
    (["--max-body", "12"], "max-body"),
    (["--rotation-check=-5"], "rotation-check"),
])
def test_bad_settings_are_one_line_errors(data, args, message):
    result = subprocess.run([str(SEJF), "server", "--data", str(data["path"]), *args], capture_output=True, text=True,
                            env=clean_env(), timeout=30)
    assert result.returncode != 0 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_settings_from_variables_and_a_config_file(data, tmp_path):
    config = tmp_path / "sejf.yaml"
    config.write_text("listen: 127.0.0.1:0\nlog-format: json\nrotation-check: 0\n")
    server = Running(data["path"], env=clean_env(SEJF_CONFIG=str(config), SEJF_ADMIN_LISTEN="127.0.0.1:0"))
    try:
        assert server.admin != server.endpoint  # SEJF_ADMIN_LISTEN
        client(data, server.endpoint).list_secrets()
    finally:
        logs = server.logs()
    assert json.loads(logs.splitlines()[-1])["level"]  # log-format from the file
    config.write_text("listen: 127.0.0.1:0\nkey: c2VjcmV0\n")
    bad = subprocess.run([str(SEJF), "server", "--data", str(data["path"]), "--config", str(config)], capture_output=True,
                         text=True, env=clean_env(), timeout=30)
    assert bad.returncode != 0 and "unknown setting 'key'" in bad.stderr and "c2VjcmV0" not in bad.stderr


def test_sigterm_during_a_load_of_writes_loses_nothing_acknowledged(data):
    server = Running(data["path"], "--listen", "127.0.0.1:0")
    acknowledged, stop = [], threading.Event()

    def writer(n):
        c = client(data, server.endpoint)
        i = 0
        while not stop.is_set():
            name = f"shutdown/{n}/{i}"
            try:
                c.create_secret(Name=name, SecretString=f"v{i}")
            except Exception:
                return  # refused or cut off by the shutdown: not acknowledged
            acknowledged.append(name)
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) > 20
    out = run_sejf("secret", "list", "--env", "dev", "--output", "json", data=data["path"]).stdout
    names = {entry["Name"] for entry in json.loads(out)["SecretList"]}
    assert set(acknowledged) <= names
    run_sejf("audit", "verify", data=data["path"])


def test_the_server_cannot_dump_core(data):
    server = Running(data["path"], "--listen", "127.0.0.1:0")
    try:
        limits = Path(f"/proc/{server.process.pid}/limits").read_text()
        core = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
        assert core.split()[4:6] == ["0", "0"], core
    finally:
        assert server.stop() == 0


def test_healthcheck_command(data):
    server = Running(data["path"], "--listen", "127.0.0.1:0")
    try:
        ok = subprocess.run([str(SEJF), "healthcheck", "--url", server.endpoint + "/healthz"], capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0 and ok.stdout == "ok\n"
        missing = subprocess.run([str(SEJF), "healthcheck", "--url", server.endpoint + "/nope"], capture_output=True, text=True, timeout=30)
        assert missing.returncode == 1 and "HTTP 404" in missing.stderr
    finally:
        assert server.stop() == 0
    down = subprocess.run([str(SEJF), "healthcheck", "--url", server.endpoint + "/healthz"], capture_output=True, text=True, timeout=30)
    assert down.returncode == 1
