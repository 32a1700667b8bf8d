"""Other real clients: the sejf CLI as a remote client, and the AWS Secrets Manager caching
library."""
import os
import signal
import subprocess

from aws_secretsmanager_caching import SecretCache, SecretCacheConfig

from conftest import SEJF, Server, clean_env, make_client, run_sejf


def test_cli_as_remote_client(installation, unique):
    name = unique("remote")
    env = clean_env(SEJF_ENDPOINT=installation["endpoint"], AWS_ACCESS_KEY_ID=installation["key_id"],
                    AWS_SECRET_ACCESS_KEY=installation["secret"])
    put = subprocess.run([str(SEJF), "secret", "put", name, "--env", "staging", "--value", '{"k":"remote value"}'],
                         env=env, capture_output=True, text=True, timeout=60)
    assert put.returncode == 0, put.stderr
    got = subprocess.run([str(SEJF), "secret", "get", name, "--env", "staging", "--json-key", "k"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert got.stdout == "remote value\n", got.stderr
    # The value really is in the server's store: read it embedded.
    assert run_sejf("secret", "get", name, "--env", "staging", data=installation["data"]).stdout == '{"k":"remote value"}\n'
    missing = subprocess.run([str(SEJF), "secret", "get", "no/such", "--env", "staging"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert missing.returncode == 1
    assert missing.stderr.startswith("sejf: error: ResourceNotFoundException")


def test_cli_remote_with_bad_credentials(installation):
    env = clean_env(SEJF_ENDPOINT=installation["endpoint"], AWS_ACCESS_KEY_ID="AKIAUNKNOWNUNKNOWN12",
                    AWS_SECRET_ACCESS_KEY="x" * 40)
    result = subprocess.run([str(SEJF), "secret", "list", "--env", "dev"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "UnrecognizedClientException" in result.stderr


def test_cli_remote_reads_a_profile(installation, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[sejf]\naws_access_key_id = {installation['key_id']}\n"
                           f"aws_secret_access_key = {installation['secret']}\n")
    env = clean_env(SEJF_ENDPOINT=installation["endpoint"], AWS_PROFILE="sejf", AWS_SHARED_CREDENTIALS_FILE=str(credentials))
    result = subprocess.run([str(SEJF), "secret", "list", "--env", "dev"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_caching_library_round_trip(installation, unique):
    client = make_client(installation, "prod")
    name = unique("cached")
    client.create_secret(Name=name, SecretString="cached value")
    cache = SecretCache(config=SecretCacheConfig(), client=client)
    assert cache.get_secret_string(name) == "cached value"
    client.put_secret_value(SecretId=name, SecretString="new value")
    # The cache refreshes on its own schedule; a fresh cache sees the new value.
    assert SecretCache(config=SecretCacheConfig(), client=client).get_secret_string(name) == "new value"


def test_graceful_shutdown_on_sigterm_and_sigint(tmp_path):
    data = tmp_path / "data"
    run_sejf("init", "--environments", "dev", data=data)
    for sig in (signal.SIGTERM, signal.SIGINT):
        server = Server(data)
        assert server.stop(sig) == 0, server.process.stderr.read()
