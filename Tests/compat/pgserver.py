"""A private PostgreSQL 15 server for end-to-end tests, like Tests/SejfPostgresTests/PostgresTestServer.swift:
a fresh cluster in a temporary directory, on a free loopback port, with a superuser password and
`scram-sha-256` required for TCP logins (so a wrong password really fails).

    with PostgresServer() as pg:
        pg.psql("CREATE ROLE app LOGIN PASSWORD 'secret'")
        assert pg.can_login("app", "secret")

Run as root, the cluster belongs to the `postgres` OS user (initdb refuses root). Missing
binaries raise: tests that need PostgreSQL fail rather than skip. `SEJF_PG_BIN` overrides where
the binaries are.
"""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("SEJF_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A running server; `.port`, `.superuser_password`, `psql()`, `can_login()`, `stop()`."""

    def __init__(self):
        for tool in ("initdb", "pg_ctl", "postgres", "psql"):
            if not os.access(PG_BIN / tool, os.X_OK):
                raise RuntimeError(f"PostgreSQL is not installed: {PG_BIN / tool} is missing "
                                   "(install postgresql-15, or set SEJF_PG_BIN)")
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.directory = Path(tempfile.mkdtemp(prefix="sejf-pg-"))
        self.data = self.directory / "data"
        self.port = _free_port()
        self.superuser_password = secrets.token_urlsafe(24)
        self._running = False
        try:
            if self._as_owner:
                shutil.chown(self.directory, "postgres", "postgres")
            pwfile = self.directory / "pw"
            self._write(pwfile, self.superuser_password + "\n")
            self._run_as_owner("initdb", "-D", self.data, "-U", "postgres", f"--pwfile={pwfile}",
                               "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C",
                               "--no-sync")
            self._write(self.data / "pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
            self._run_as_owner("pg_ctl", "-D", self.data, "-l", self.directory / "log", "-w", "-t", "30", "-o",
                               f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off",
                               "start")
            self._running = True
        except BaseException:
            self.stop()
            raise

    def psql(self, sql: str, user: str = "postgres", password: str | None = None, database: str = "postgres") -> str:
        """Runs `sql` over TCP as `user` (the superuser by default); returns the unaligned output.
        Raises `subprocess.CalledProcessError` when psql fails."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PGCONNECT_TIMEOUT": "5",
               "PGSSLMODE": "disable",
               "PGPASSWORD": self.superuser_password if password is None else password}
        result = subprocess.run([str(PG_BIN / "psql"), "-X", "-w", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                                 "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", database, "-c", sql],
                                capture_output=True, text=True, env=env, timeout=30, check=True)
        return result.stdout.strip()

    def can_login(self, user: str, password: str) -> bool:
        """Whether `user` logs in with `password` (checked with psql)."""
        try:
            return self.psql("SELECT 1", user=user, password=password) == "1"
        except subprocess.CalledProcessError:
            return False

    def secret(self, user: str, password: str, **extra) -> dict:
        """A secret value in AWS's shape for this server."""
        return {"engine": "postgres", "host": "127.0.0.1", "port": self.port, "username": user,
                "password": password, "dbname": "postgres", **extra}

    def stop(self):
        """Stops the server (`pg_ctl stop -m immediate`, by its data directory) and deletes the directory."""
        if self._running:
            self._run_as_owner("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
            self._running = False
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _run_as_owner(self, tool, *args, check=True):
        subprocess.run([*self._as_owner, str(PG_BIN / tool), *map(str, args)], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=60, check=check)

    def _write(self, path: Path, text: str):
        path.write_text(text)
        path.chmod(0o600)
        if self._as_owner:
            shutil.chown(path, "postgres", "postgres")
