#!/usr/bin/env python3
"""Sejf's load driver: `sejf server` against moto's server and a minimal Hummingbird 2 ceiling.

It needs only Debian's `wrk` and Python 3 with boto3/botocore (moto for the moto target). For each
target, one after another on this machine, with the same request mix, connections and duration:

1. starts the server on a free loopback port (`sejf init` + `sejf server`, `moto_server`, or the
   `ceiling` executable of Benchmarks/ceiling);
2. creates the data set through the API with boto3 (`--secrets N` secrets of ~100 bytes);
3. pre-signs the requests with botocore's SigV4Auth (valid for 15 minutes: each wrk run is
   signed just before it starts) and writes them, one per line, for a generated wrk Lua script
   that cycles through them;
4. runs `wrk --latency` per workload; the script's `done()` prints requests, duration, errors
   and latency percentiles (microseconds) as one JSON line, so nothing is scraped from wrk's
   human output. Any non-2xx/3xx answer or socket error makes the result an error, never
   throughput.

Workloads: get (GetSecretValue), batch (BatchGetSecretValue of 20), mixed (90% GetSecretValue,
5% DescribeSecret, 5% PutSecretValue), put (PutSecretValue), render (`sejf render k8s` of an app
of 100 variables, embedded and remote), cli (`sejf secret get`, cold process, embedded and remote).

PutSecretValue cannot be replayed: the same ClientRequestToken and value is an idempotent
success that writes nothing. Every pre-signed put therefore carries its own token and value and is
sent at most once: each wrk thread takes its own share of the pool and stops when its share runs
out; a run that ran out is discarded and repeated with a pool three times larger. Reads are
replayed freely.

Results: a table on stdout and `--out FILE` as JSON (machine, command line, settings, every run).
See Benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import math
import multiprocessing
import os
import platform
import random
import resource
import shlex
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import http.client
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent

ALL_WORKLOADS = ["get", "batch", "mixed", "put", "render", "cli"]
WRK_WORKLOADS = ["get", "batch", "mixed", "put"]
ALL_TARGETS = ["sejf", "moto", "ceiling"]
SEJF_REGION = "dev"          # the environment sejf init creates here; SigV4's region is the environment
MOTO_REGION = "us-east-1"
BATCH_SIZE = 20              # BatchGetSecretValue's SecretIdList length
RENDER_VARIABLES = 100
MIXED_PATTERN = ["get"] * 9 + ["describe"] + ["get"] * 9 + ["put"]   # 90 / 5 / 5, per wrk thread
SIGN_WINDOW_S = 15 * 60      # SigV4: X-Amz-Date within 15 minutes of the server's clock

# Targets the team chases (issue: performance). Measured against, not enforced.
GOALS = {
    "get_vs_ceiling": 0.60,
    "get_vs_moto": 50.0,
    "get_p99_ms": 10.0,
    "mixed_vs_ceiling": 0.50,
    "put_rps": 2000.0,
    "rss_mb": 150.0,
    "cli_get_ms": 50.0,
}


# ---------------------------------------------------------------------------------------------
# small helpers

def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict:
    """This process's environment without SEJF_* or AWS_* variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEJF_", "AWS_"))}
    env.update(extra)
    return env


def read_proc_status(pid: int) -> dict:
    """VmRSS / VmHWM / RssAnon (its anonymous part: heap and stacks) of a process in MiB
    (empty when it is gone)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "RssAnon"):
                    out[key] = int(value.split()[0]) / 1024.0
    except OSError:
        return {}
    return out


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (all its threads), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def busy_cpu_seconds() -> float | None:
    """CPU time spent busy by the whole machine since boot (all CPUs; /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def run_text(cmd: list[str], timeout: float = 20) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_total = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    wrk_version = ""
    if shutil.which("wrk"):
        proc = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
        wrk_version = ((proc.stdout + proc.stderr).splitlines() or [""])[0].strip()
    versions = {"python": platform.python_version(), "wrk": wrk_version}
    for module in ("botocore", "boto3", "moto"):
        try:
            versions[module] = __import__(module).__version__
        except Exception:  # noqa: BLE001 - informative only
            versions[module] = None
    versions["swift"] = (run_text(["swift", "--version"]).splitlines() or [""])[0] if shutil.which("swift") else None
    versions["git_commit"] = run_text(["git", "-C", str(REPO), "rev-parse", "HEAD"]) or None
    # Read-only: whether the sources differ from that commit (the binary may include such changes).
    try:
        diff = subprocess.run(["git", "-C", str(REPO), "diff", "--quiet", "HEAD", "--", "Sources", "Package.swift"],
                              capture_output=True, timeout=20)
        versions["git_sources_modified"] = {0: False, 1: True}.get(diff.returncode)
    except (OSError, subprocess.SubprocessError):
        versions["git_sources_modified"] = None
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model,
        "kernel": platform.release(),
        "uname": " ".join(platform.uname()),
        "memory_gib": mem_total,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "hostname": platform.node(),
        "loadavg_at_start": loadavg(),
        "versions": versions,
    }


# ---------------------------------------------------------------------------------------------
# SigV4 pre-signing (botocore)

_signer = None


def _init_signer(key_id: str, secret: str, region: str) -> None:
    global _signer
    from botocore.auth import SigV4Auth
    from botocore.credentials import Credentials
    _signer = SigV4Auth(Credentials(key_id, secret), "secretsmanager", region)


def _sign_one(args: tuple[str, str, bytes]) -> tuple[str, str, bytes, list[tuple[str, str]]]:
    """A signed POST of the AWS JSON 1.1 protocol: (method, path, body, headers incl. Host)."""
    from botocore.awsrequest import AWSRequest
    url, operation, body = args
    request = AWSRequest(method="POST", url=url, data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"secretsmanager.{operation}",
    })
    _signer.add_auth(request)
    host = url.split("://", 1)[1].split("/", 1)[0]
    headers = [("Host", host)] + [(k, v) for k, v in request.headers.items() if k.lower() != "content-length"]
    return "POST", "/", body, headers


def sign_all(items: list[tuple[str, bytes]], url: str, key_id: str, secret: str, region: str) -> list:
    """Signs (operation, body) pairs; in parallel processes when there are many (≈0.5 ms each)."""
    work = [(url, op, body) for op, body in items]
    if len(work) < 3000:
        _init_signer(key_id, secret, region)
        return [_sign_one(w) for w in work]
    processes = max(1, min(os.cpu_count() or 1, 8))
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_init_signer, initargs=(key_id, secret, region)) as pool:
        return pool.map(_sign_one, work, chunksize=500)


# ---------------------------------------------------------------------------------------------
# the data set

def secret_name(i: int) -> str:
    return f"bench/secret-{i:06d}"


def render_secret_name(i: int) -> str:
    return f"bench/render/var-{i:03d}"


def secret_value(rng: random.Random, i: int) -> str:
    """~100 bytes of JSON, the shape of a small credential."""
    password = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(48))
    return json.dumps({"username": f"svc-{i:06d}", "password": password, "port": 5432})


def boto_client(endpoint: str, key_id: str, secret: str, region: str):
    import boto3
    from botocore.config import Config
    return boto3.client("secretsmanager", endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 3}, max_pool_connections=16))


def create_data_set(endpoint: str, key_id: str, secret: str, region: str, names: list[str], workers: int = 8) -> dict:
    """CreateSecret for every name, through the API, with a few client threads; returns the values."""
    rng = random.Random(20261125)
    values = {name: secret_value(rng, i) for i, name in enumerate(names)}
    local = threading.local()

    def create(name: str) -> None:
        if not hasattr(local, "client"):
            local.client = boto_client(endpoint, key_id, secret, region)
        local.client.create_secret(Name=name, SecretString=values[name])

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for future in concurrent.futures.as_completed([pool.submit(create, n) for n in names]):
            future.result()
    return values


# ---------------------------------------------------------------------------------------------
# targets

class Target:
    """A server under test: started on a free loopback port, stopped by PID."""
    name = "?"
    region = SEJF_REGION
    key_id = "AKIABENCHMARKKEY0000"
    secret = "benchmark-secret-access-key-not-checked"
    has_data = True

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.stdout_path = workdir / f"{self.name}.stdout"
        self.stderr_path = workdir / f"{self.name}.stderr"
        self.exit_status = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, env: dict | None = None) -> None:
        cmd = self.command()
        log(f"{self.name}: {shlex.join(cmd)}")
        self.process = subprocess.Popen(cmd, stdout=open(self.stdout_path, "wb"), stderr=open(self.stderr_path, "wb"),
                                        env=env or clean_env(), start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start ({self.process.returncode}): {self.stderr_tail()}")
            if self.ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start within 60 s: {self.stderr_tail()}")

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self, timeout: float = 30) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name}: no exit {timeout} s after SIGTERM; SIGKILL")
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.exit_status = self.process.returncode
        return self.exit_status

    def stderr_tail(self, lines: int = 10) -> str:
        try:
            return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_summary(self) -> dict:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return {}
        lines = [line for line in text.splitlines() if line.strip()]
        return {"stderr_lines": len(lines), "first_lines": lines[:5], "last_lines": lines[-5:]}


class SejfTarget(Target):
    name = "sejf"

    def __init__(self, workdir: Path, binary: Path, name: str = "sejf"):
        self.name = name   # the scale runs label each data set's server
        super().__init__(workdir)
        self.binary = binary
        self.data = workdir / "sejf-data"

    def init(self) -> None:
        result = subprocess.run([str(self.binary), "init", "--data", str(self.data), "--environments", SEJF_REGION,
                                 "--output", "json"], capture_output=True, text=True, env=clean_env(), timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"sejf init failed: {result.stderr.strip()}")
        report = json.loads(result.stdout)
        self.key_id, self.secret = report["AccessKeyId"], report["SecretAccessKey"]

    def command(self) -> list[str]:
        return [str(self.binary), "server", "--data", str(self.data), "--listen", f"127.0.0.1:{self.port}",
                "--log-level", "warning", "--rotation-check", "0"]

    def ready(self) -> bool:
        try:
            return "listening on" in self.stdout_path.read_text(errors="replace") and super().ready()
        except OSError:
            return False


class MotoTarget(Target):
    name = "moto"
    region = MOTO_REGION

    def command(self) -> list[str]:
        moto = shutil.which("moto_server")
        if moto is None:
            raise RuntimeError("moto_server not found: pip install 'moto[server]'")
        return [moto, "-H", "127.0.0.1", "-p", str(self.port)]

    def ready(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            connection.request("GET", "/moto-api/")
            connection.getresponse().read()
            connection.close()
            return True
        except OSError:
            return False


class CeilingTarget(Target):
    name = "ceiling"
    has_data = False

    def __init__(self, workdir: Path, binary: Path):
        super().__init__(workdir)
        self.binary = binary

    def command(self) -> list[str]:
        return [str(self.binary), "--port", str(self.port)]

    def ready(self) -> bool:
        try:
            return "listening on" in self.stdout_path.read_text(errors="replace") and super().ready()
        except OSError:
            return False


# ---------------------------------------------------------------------------------------------
# request pools and the wrk script

class Stream:
    """One kind of request: its pre-signed requests, and whether they may be sent more than once."""

    def __init__(self, name: str, requests: list, replayable: bool):
        self.name = name
        self.requests = requests
        self.replayable = replayable


def write_stream(path: Path, stream: Stream) -> None:
    """One request a line: method TAB path TAB body TAB header TAB header… (no tab or newline occurs
    in a JSON body from json.dumps, nor in these header values)."""
    with open(path, "w") as f:
        for method, req_path, body, headers in stream.requests:
            text = body.decode()
            fields = [method, req_path, text] + [f"{k}: {v}" for k, v in headers]
            assert all("\t" not in x and "\n" not in x for x in fields), "a tab or newline in a request field"
            f.write("\t".join(fields) + "\n")


LUA_TEMPLATE = r"""-- Generated by Benchmarks/bench.py: replays pre-signed AWS JSON 1.1 requests.
local stream_files = {STREAM_FILES}
local replayable = {REPLAYABLE}
local stream_names = {STREAM_NAMES}
local pattern = {PATTERN}
local nthreads = {NTHREADS}

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function split_tabs(line)
  local fields = {}
  local start = 1
  while true do
    local i = string.find(line, "\t", start, true)
    if not i then
      table.insert(fields, string.sub(line, start))
      return fields
    end
    table.insert(fields, string.sub(line, start, i - 1))
    start = i + 1
  end
end

local streams = {}
local position = 1
exhausted = 0

function init(args)
  for s, file in ipairs(stream_files) do
    local all = {}
    for line in io.lines(file) do
      local f = split_tabs(line)
      local headers = {}
      for h = 4, #f do
        local name, value = string.match(f[h], "^([^:]+): (.*)$")
        headers[name] = value
      end
      table.insert(all, wrk.format(f[1], f[2], headers, f[3]))
    end
    -- Each thread takes its own share (every nthreads-th request): a request that must not be
    -- replayed is then sent by one thread only. A replayable pool smaller than the number of
    -- threads is shared whole.
    local mine = {}
    if replayable[s] and #all < nthreads then
      mine = all
    else
      for i = 1, #all do
        if (i - 1) % nthreads == id then table.insert(mine, all[i]) end
      end
    end
    streams[s] = { reqs = mine, n = #mine, pos = 1, sent = 0 }
    _G["sent_" .. stream_names[s]] = 0
  end
end

function request()
  local s = pattern[position]
  position = position % #pattern + 1
  local st = streams[s]
  if st.pos > st.n then
    if replayable[s] then
      st.pos = 1
    else
      -- The pool of this non-replayable request ran out: stop this thread. bench.py discards the
      -- run and repeats it with a larger pool. (The request returned here may repeat the last
      -- one, an idempotent no-op; the run is discarded anyway.)
      exhausted = 1
      wrk.thread:stop()
      return st.reqs[st.n]
    end
  end
  local r = st.reqs[st.pos]
  st.pos = st.pos + 1
  st.sent = st.sent + 1
  local key = "sent_" .. stream_names[s]
  _G[key] = _G[key] + 1
  return r
end

function done(summary, latency, requests)
  local exhausted_threads = 0
  local sent = {}
  for _, t in ipairs(threads) do
    exhausted_threads = exhausted_threads + (t:get("exhausted") or 0)
    for _, name in ipairs(stream_names) do
      sent[name] = (sent[name] or 0) + (t:get("sent_" .. name) or 0)
    end
  end
  local sent_json = {}
  for _, name in ipairs(stream_names) do
    table.insert(sent_json, string.format('"%s":%d', name, sent[name]))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%.0f,"mean":%.1f,"stdev":%.1f,"max":%.0f,"p50":%.0f,"p75":%.0f,"p90":%.0f,"p99":%.0f,"p999":%.0f},' ..
    '"exhausted_threads":%d,"sent":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    exhausted_threads, table.concat(sent_json, ",")))
end
"""


def lua_list(values) -> str:
    return "{" + ", ".join(json.dumps(v) if isinstance(v, str) else ("true" if v is True else "false" if v is False else str(v)) for v in values) + "}"


def write_script(directory: Path, streams: list[Stream], pattern: list[str], threads: int) -> Path:
    index = {s.name: i + 1 for i, s in enumerate(streams)}
    files = []
    for s in streams:
        path = directory / f"stream-{s.name}.tsv"
        write_stream(path, s)
        files.append(str(path))
    script = (LUA_TEMPLATE
              .replace("{STREAM_FILES}", lua_list(files))
              .replace("{REPLAYABLE}", lua_list([s.replayable for s in streams]))
              .replace("{STREAM_NAMES}", lua_list([s.name for s in streams]))
              .replace("{PATTERN}", lua_list([index[p] for p in pattern]))
              .replace("{NTHREADS}", str(threads)))
    path = directory / "script.lua"
    path.write_text(script)
    return path


# ---------------------------------------------------------------------------------------------
# building the request pools

class Pools:
    """Makes the (operation, body) items of each workload for one target and signs them."""

    def __init__(self, target: Target, names: list[str], seed: int = 7):
        self.target = target
        self.names = names
        self.rng = random.Random(seed)
        self.put_counter = 0
        self.written: set[str] = set()   # secrets that pre-signed puts may have changed

    def gets(self, limit: int) -> list[tuple[str, bytes]]:
        names = self.sample(limit)
        return [("GetSecretValue", json.dumps({"SecretId": n}).encode()) for n in names]

    def describes(self, limit: int) -> list[tuple[str, bytes]]:
        names = self.sample(limit)
        return [("DescribeSecret", json.dumps({"SecretId": n}).encode()) for n in names]

    def batches(self, limit: int) -> list[tuple[str, bytes]]:
        names = list(self.names)
        groups = max(1, min(limit, len(names) // BATCH_SIZE))
        out = []
        for g in range(groups):
            ids = [names[(g * BATCH_SIZE + j) % len(names)] for j in range(BATCH_SIZE)]
            out.append(("BatchGetSecretValue", json.dumps({"SecretIdList": ids}).encode()))
        return out

    def puts(self, count: int) -> list[tuple[str, bytes]]:
        """Distinct ClientRequestTokens and values: every request is a new version."""
        out = []
        for _ in range(count):
            i = self.put_counter
            self.put_counter += 1
            name = self.names[i % len(self.names)]
            self.written.add(name)
            body = {"SecretId": name, "ClientRequestToken": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                    "SecretString": secret_value(self.rng, i)}
            out.append(("PutSecretValue", json.dumps(body).encode()))
        return out

    def sample(self, limit: int) -> list[str]:
        if len(self.names) <= limit:
            names = list(self.names)
        else:
            names = self.rng.sample(self.names, limit)
        self.rng.shuffle(names)
        return names

    def sign(self, items: list[tuple[str, bytes]]) -> list:
        t = self.target
        return sign_all(items, t.url + "/", t.key_id, t.secret, t.region)


# ---------------------------------------------------------------------------------------------
# pre-flight: every stream's first request through http.client, answers checked

def send(url: str, request) -> tuple[int, bytes]:
    method, path, body, headers = request
    host, port = url.split("://", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=body, headers=dict(headers))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def check_answer(target: Target, stream: str, request, status: int, body: bytes, values: dict,
                 written: set) -> str | None:
    """None when the answer is what the request asked for; else what is wrong."""
    if status != 200:
        return f"{stream}: HTTP {status}: {body[:300].decode(errors='replace')}"
    if target.name == "ceiling":
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return f"{stream}: answer is not JSON: {body[:200]!r}"
    asked = json.loads(request[2])
    if stream == "get":
        name = asked["SecretId"]
        if answer.get("Name") != name or not answer.get("SecretString"):
            return f"get: no SecretString, or the wrong Name, for {name}"
        if name not in written and answer["SecretString"] != values.get(name):
            return f"get: SecretString of {name} differs from the value created"
    elif stream == "batch":
        if answer.get("Errors"):
            return f"batch: Errors in the answer: {json.dumps(answer['Errors'])[:300]}"
        if len(answer.get("SecretValues", [])) != len(asked["SecretIdList"]):
            return f"batch: {len(answer.get('SecretValues', []))} values for {len(asked['SecretIdList'])} ids"
    elif stream == "describe":
        if answer.get("Name") != asked["SecretId"]:
            return f"describe: Name {answer.get('Name')!r} for {asked['SecretId']!r}"
    elif stream == "put":
        if answer.get("VersionId") != asked["ClientRequestToken"]:
            return f"put: VersionId {answer.get('VersionId')!r} is not the token {asked['ClientRequestToken']!r}"
    return None


# ---------------------------------------------------------------------------------------------
# wrk

class RssSampler(threading.Thread):
    """Samples a process's VmRSS every 0.25 s while a run lasts."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            rss = read_proc_status(self.pid).get("VmRSS")
            if rss is not None:
                self.samples.append(rss)
            self.halt.wait(0.25)

    def finish(self) -> float | None:
        self.halt.set()
        self.join()
        return max(self.samples) if self.samples else None


def run_wrk(args, target: Target, script: Path, duration: float, workdir: Path) -> dict:
    threads = min(args.threads, args.connections)
    cmd = ["wrk", f"-t{threads}", f"-c{args.connections}", f"-d{format_seconds(duration)}",
           f"--timeout", f"{args.timeout}s", "--latency", "-s", str(script), target.url + "/"]
    sampler = RssSampler(target.pid)
    cpu_before = cpu_seconds(target.pid)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = loadavg()
    busy_before = busy_cpu_seconds()
    sampler.start()
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + args.timeout + 120)
    wall = time.monotonic() - started
    peak_rss = sampler.finish()
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_after = cpu_seconds(target.pid)
    busy_after = busy_cpu_seconds()
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line[len("BENCH_RESULT "):])
    if proc.returncode != 0 or result is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip()} {proc.stdout[-500:]}")
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    server_cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    machine_cpu = busy_after - busy_before if busy_before is not None and busy_after is not None else None
    # What neither the server nor wrk used: this driver's sampling, the kernel's softirqs for
    # loopback, and any other load on the machine (a CI job, a build): compare runs only when small.
    other_cpu = machine_cpu - server_cpu - wrk_cpu if machine_cpu is not None and server_cpu is not None else None
    result.update({
        "command": shlex.join(cmd),
        "wall_s": round(wall, 3),
        "server_cpu_s": round(server_cpu, 2) if server_cpu is not None else None,
        "wrk_cpu_s": round(wrk_cpu, 2),
        "machine_busy_cpu_s": round(machine_cpu, 2) if machine_cpu is not None else None,
        "other_cpu_s": round(other_cpu, 2) if other_cpu is not None else None,
        "server_rss_peak_mb": round(peak_rss, 1) if peak_rss else None,
        "server_rss_end_mb": round(read_proc_status(target.pid).get("VmRSS", 0), 1) or None,
        "loadavg_before": load_before,
        "wrk_stdout": proc.stdout,
    })
    return result


def format_seconds(seconds: float) -> str:
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{int(math.ceil(seconds * 1000))}ms"


def summarise_run(target: str, workload: str, raw: dict, pools: dict) -> dict:
    duration_s = raw["duration_us"] / 1e6
    errors = raw["errors"]
    error_total = sum(errors.values())
    lat = raw["latency_us"]
    server_cpu = raw.get("server_cpu_s")
    return {
        "target": target,
        "workload": workload,
        "rps": round(raw["requests"] / duration_s, 1) if duration_s > 0 else 0.0,
        "requests": raw["requests"],
        "duration_s": round(duration_s, 3),
        "latency_ms": {k: round(v / 1000.0, 3) for k, v in lat.items()},
        "errors": errors,
        "error_total": error_total,
        "ok": error_total == 0 and raw["requests"] > 0,
        "sent": raw.get("sent", {}),
        "pool_sizes": pools,
        "server_cpu_s": server_cpu,
        "server_cpu_us_per_request": round(server_cpu * 1e6 / raw["requests"], 1) if server_cpu and raw["requests"] else None,
        "wrk_cpu_s": raw.get("wrk_cpu_s"),
        "machine_busy_cpu_s": raw.get("machine_busy_cpu_s"),
        "other_cpu_s": raw.get("other_cpu_s"),
        "cpus_available_s": round(duration_s * (os.cpu_count() or 1), 2),
        "server_rss_peak_mb": raw.get("server_rss_peak_mb"),
        "server_rss_end_mb": raw.get("server_rss_end_mb"),
        "loadavg_before": raw.get("loadavg_before"),
        "command": raw["command"],
        "attempts": raw.get("attempts", 1),
    }


# ---------------------------------------------------------------------------------------------
# one target, all its workloads

def workload_streams(workload: str, pools: Pools, sizes: dict) -> tuple[list[tuple[str, list, bool]], list[str]]:
    """(stream name, items, replayable) and the per-thread pattern of stream names."""
    if workload == "get":
        return [("get", pools.gets(sizes["read"]), True)], ["get"]
    if workload == "batch":
        return [("batch", pools.batches(sizes["read"]), True)], ["batch"]
    if workload == "put":
        return [("put", pools.puts(sizes["put"]), False)], ["put"]
    if workload == "mixed":
        return ([("get", pools.gets(sizes["read"]), True), ("describe", pools.describes(sizes["read"]), True),
                 ("put", pools.puts(sizes["mixed_put"]), False)], MIXED_PATTERN)
    raise ValueError(workload)


def measure_wrk_workload(args, target: Target, workload: str, pools: Pools, values: dict, workdir: Path,
                         expected_rps: float | None, duration: float, label: str | None = None) -> dict:
    """Signs, pre-flights and runs one wrk workload; repeats with a larger pool when a
    non-replayable pool ran out."""
    threads = min(args.threads, args.connections)
    # Pool sizes. Reads cycle: one request per secret (up to --read-pool). Writes are sent once:
    # enough for the duration at the expected rate, with margin; three times more on a rerun.
    read_pool = min(len(pools.names), args.read_pool) if target.has_data else min(args.read_pool, 2000)
    put_rate = args.put_rate_guess if expected_rps is None else min(args.put_rate_guess, expected_rps * 1.5)
    put_pool = max(200 * threads, int(put_rate * duration))
    mixed_rate = (expected_rps or 20000) * 1.5
    mixed_put = max(100 * threads, int(mixed_rate * duration * MIXED_PATTERN.count("put") / len(MIXED_PATTERN)))
    replay_everything = target.name == "ceiling"   # the ceiling has no state: nothing is a write
    if replay_everything:
        put_pool = mixed_put = min(put_pool, 2000)
    attempts = 0
    while True:
        attempts += 1
        sizes = {"read": read_pool, "put": put_pool, "mixed_put": mixed_put}
        run_dir = workdir / f"{label or workload}-{attempts}"
        run_dir.mkdir()
        specs, pattern = workload_streams(workload, pools, sizes)
        t0 = time.monotonic()
        streams = []
        for name, items, replayable in specs:
            streams.append(Stream(name, pools.sign(items), replayable or replay_everything))
        sign_s = time.monotonic() - t0
        # Pre-flight: the first request of each stream, with its answer checked. A non-replayable
        # one is then taken out of the pool (it has been used).
        for stream in streams:
            status, body = send(target.url, stream.requests[0])
            problem = check_answer(target, stream.name, stream.requests[0], status, body, values, pools.written)
            if problem:
                raise RuntimeError(f"{target.name} {workload}: pre-flight failed: {problem}")
            if not stream.replayable:
                stream.requests = stream.requests[1:]
        script = write_script(run_dir, streams, pattern, threads)
        log(f"{target.name} {workload}: {sum(len(s.requests) for s in streams)} requests signed in {sign_s:.1f} s; "
            f"wrk {format_seconds(duration)} (attempt {attempts})")
        if time.monotonic() - t0 + duration > SIGN_WINDOW_S - 60:
            raise RuntimeError("the run would outlast SigV4's 15-minute window: shorten --duration")
        raw = run_wrk(args, target, script, duration, run_dir)
        raw["attempts"] = attempts
        raw["sign_s"] = round(sign_s, 2)
        if raw["exhausted_threads"] and attempts < 4:
            log(f"{target.name} {workload}: a write pool ran out ({raw['exhausted_threads']} thread(s)); "
                f"discarding the run and repeating with a pool 3x larger")
            put_pool *= 3
            mixed_put *= 3
            continue
        result = summarise_run(target.name, workload, raw, {s.name: len(s.requests) for s in streams})
        result["sign_s"] = raw["sign_s"]
        result["wrk_stdout"] = raw["wrk_stdout"]
        if raw["exhausted_threads"]:
            result["ok"] = False
            result["problem"] = "the write pool ran out four times; the figure is a lower bound"
        if result["error_total"]:
            result["problem"] = (f"{result['error_total']} errors (non-2xx/3xx {raw['errors']['status']}, "
                                 f"socket connect/read/write/timeout {raw['errors']['connect']}/{raw['errors']['read']}/"
                                 f"{raw['errors']['write']}/{raw['errors']['timeout']}); server log: {target.stderr_tail(3)}")
        return result


def measure_wrk_suite(args, target: Target, wrk_workloads: list[str], names: list[str], values: dict, tdir: Path,
                      info: dict, results: list) -> None:
    """After a second's rest (idle RSS into `info`): the warm-up, then each wrk workload in the
    order given, each result appended to `results` (a failure is recorded and the next one runs)."""
    time.sleep(1)
    info["rss_idle_mb"] = round(read_proc_status(target.pid).get("VmRSS", 0), 1)
    pools = Pools(target, names)
    expected_rps = None
    if args.warmup > 0 and wrk_workloads:
        warm = measure_wrk_workload(args, target, "get", pools, values, tdir, None, args.warmup, label="warmup")
        info["warmup"] = {k: warm[k] for k in ("rps", "requests", "error_total", "duration_s")}
        expected_rps = warm["rps"] or None
        if warm["error_total"]:
            log(f"{target.name}: errors during the warm-up: {warm.get('problem')}")
    for workload in wrk_workloads:
        try:
            result = measure_wrk_workload(args, target, workload, pools, values, tdir, expected_rps, args.duration)
        except Exception as error:  # noqa: BLE001 - recorded, and the run goes on
            log(f"{target.name} {workload}: FAILED: {error}")
            result = {"target": target.name, "workload": workload, "ok": False, "problem": str(error), "rps": 0.0,
                      "error_total": None, "latency_ms": {}}
        results.append(result)
        if workload == "get" and result.get("ok"):
            expected_rps = result["rps"]
            info["rss_end_of_get_mb"] = result.get("server_rss_end_mb")
            info["rss_peak_during_get_mb"] = result.get("server_rss_peak_mb")
        log(f"{target.name} {workload}: {result.get('rps')} req/s, p50 {result.get('latency_ms', {}).get('p50')} ms, "
            f"p99 {result.get('latency_ms', {}).get('p99')} ms, errors {result.get('error_total')}")


def timed_runs(cmd: list[str], env: dict, runs: int, check, timeout: float = 300) -> dict:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=env, timeout=timeout)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            return {"error": f"{shlex.join(cmd)} exited {proc.returncode}: {proc.stderr.decode(errors='replace').strip()[:400]}"}
        problem = check(proc.stdout)
        if problem:
            return {"error": problem}
        times.append(elapsed * 1000)
    return {"runs": runs, "median_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2),
            "max_ms": round(max(times), 2), "all_ms": [round(t, 2) for t in times], "command": shlex.join(cmd)}


def write_definitions(directory: Path, env: str, namespace: str = "bench") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"name: {env}", "kubernetes:", f"  namespace: {namespace}", "apps:", "  bench:",
             "    kubernetes: { secret: bench-secrets, configMap: bench-config }", "    env:"]
    for i in range(RENDER_VARIABLES):
        lines.append(f"      VAR_{i:03d}: {{ secret: {render_secret_name(i)} }}")
    (directory / f"{env}.yaml").write_text("\n".join(lines) + "\n")
    return directory


def start_target(target: Target, info: dict) -> None:
    """Starts the server; its command, PID and RSS at start go into `info`."""
    target.start()
    info["command"] = shlex.join(target.command())
    info["pid"] = target.pid
    info["rss_at_start_mb"] = round(read_proc_status(target.pid).get("VmRSS", 0), 1)


def record_final_rss(target: Target, info: dict) -> None:
    """The server's RSS now and its high-water mark, into `info`."""
    status = read_proc_status(target.pid)
    info["rss_end_mb"] = round(status.get("VmRSS", 0), 1)
    info["rss_hwm_mb"] = round(status.get("VmHWM", 0), 1)


def stop_target(target: Target, info: dict) -> None:
    """Stops the server by PID; its exit status and log summary go into `info`."""
    info["exit_status"] = target.stop()
    info["server_log"] = target.log_summary()


def run_target(args, name: str, workdir: Path, report: dict) -> None:
    tdir = workdir / name
    tdir.mkdir()
    if name == "sejf":
        target: Target = SejfTarget(tdir, args.sejf)
        target.init()
    elif name == "moto":
        target = MotoTarget(tdir)
    else:
        target = CeilingTarget(tdir, args.ceiling)
    info = {"command": None, "url": target.url}
    report["targets"][name] = info
    wrk_workloads = [w for w in WRK_WORKLOADS if w in args.workloads]   # always this order: puts last
    names = [secret_name(i) for i in range(args.secrets)]
    values: dict = {}
    try:
        start_target(target, info)
        if target.has_data:
            t0 = time.monotonic()
            values = create_data_set(target.url, target.key_id, target.secret, target.region, names)
            if "render" in args.workloads and name == "sejf":
                render_names = [render_secret_name(i) for i in range(RENDER_VARIABLES)]
                values.update(create_data_set(target.url, target.key_id, target.secret, target.region, render_names))
            info["data_set"] = {"secrets": len(values), "seconds": round(time.monotonic() - t0, 2),
                                "creates_per_s": round(len(values) / max(time.monotonic() - t0, 1e-9), 1)}
            log(f"{name}: data set of {len(values)} secrets created in {info['data_set']['seconds']} s")
        measure_wrk_suite(args, target, wrk_workloads, names, values, tdir, info, report["results"])
        # Only sejf: moto 5.2.1 answers sejf.RecordUse (an unknown target) with an HTML 500, not
        # UnknownOperationException, so `sejf render` against moto fails.
        if "render" in args.workloads and name == "sejf":
            report["render"][name] = measure_render(args, target, tdir, remote=True)
        if "cli" in args.workloads and name in ("sejf",):
            report["cli"]["sejf_remote"] = measure_cli(args, target, values, remote=True)
        record_final_rss(target, info)
    finally:
        stop_target(target, info)
    if name == "sejf":
        if "render" in args.workloads:
            report["render"]["sejf_embedded"] = measure_render(args, target, tdir, remote=False)
        if "cli" in args.workloads:
            report["cli"]["sejf_embedded"] = measure_cli(args, target, values, remote=False)


def measure_render(args, target: Target, tdir: Path, remote: bool) -> dict:
    definitions = write_definitions(tdir / "definitions", target.region)
    cmd = [str(args.sejf), "render", "k8s", "--env", target.region, "--app", "bench", "--definitions", str(definitions)]
    if remote:
        env = clean_env(SEJF_ENDPOINT=target.url, AWS_ACCESS_KEY_ID=target.key_id, AWS_SECRET_ACCESS_KEY=target.secret)
    else:
        cmd += ["--data", str(target.data)]
        env = clean_env()

    def check(stdout: bytes) -> str | None:
        text = stdout.decode(errors="replace")
        if "kind: Secret" not in text or text.count("VAR_") < RENDER_VARIABLES:
            return f"render output lacks the Secret or its {RENDER_VARIABLES} variables: {text[:200]!r}"
        return None

    log(f"render k8s ({'remote, ' + target.name if remote else 'embedded'}): {args.render_runs} runs")
    subprocess.run(cmd, capture_output=True, env=env, timeout=300)   # one unmeasured run: page cache
    result = timed_runs(cmd, env, args.render_runs, check)
    result["variables"] = RENDER_VARIABLES
    result["mode"] = "remote" if remote else "embedded"
    return result


def measure_cli(args, target: Target, values: dict, remote: bool) -> dict:
    name = secret_name(0)
    cmd = [str(args.sejf), "secret", "get", name, "--env", SEJF_REGION]
    if remote:
        env = clean_env(SEJF_ENDPOINT=target.url, AWS_ACCESS_KEY_ID=target.key_id, AWS_SECRET_ACCESS_KEY=target.secret)
    else:
        cmd += ["--data", str(target.data)]
        env = clean_env()
    log(f"sejf secret get ({'remote' if remote else 'embedded'}): {args.cli_runs} cold processes")
    subprocess.run(cmd, capture_output=True, env=env, timeout=60)   # one unmeasured run: page cache
    # The put workloads have replaced the value since the data set was made; any value is fine.
    result = timed_runs(cmd, env, args.cli_runs, lambda out: None if out.strip() else "empty output")
    result["mode"] = "remote" if remote else "embedded"
    return result


# ---------------------------------------------------------------------------------------------
# scale: the same GetSecretValue run over a small and a large data set seeded by sejf-seed

class ScaleSize:
    """One data set of the scale runs: secrets × versions, and audit events over the last 7 days."""

    def __init__(self, label: str, secrets: int, versions: int, audit_events: int):
        self.label = label
        self.secrets = secrets
        self.versions = versions
        self.audit_events = audit_events

    def describe(self) -> dict:
        return {"secrets": self.secrets, "versions": self.versions, "audit_events": self.audit_events}

    def estimated_bytes(self) -> int:
        """A generous estimate of the database size (measured: ~0.7 KB an event, ~0.5 KB a version)."""
        return self.audit_events * 900 + self.secrets * self.versions * 700 + 50_000_000


def scale_sizes(args) -> list[ScaleSize]:
    """The baseline (`--secrets` secrets, 1 version, no audit trail); the large store without an
    audit trail (`store`, so the trail's own effect shows); the large store with it (`large`)."""
    sizes = [ScaleSize("baseline", args.secrets, 1, 0),
             ScaleSize("store", args.scale_secrets, args.scale_versions, 0),
             ScaleSize("large", args.scale_secrets, args.scale_versions, args.scale_audit_events)]
    return sizes if args.scale_audit_events > 0 else sizes[:2]


def seed_data_set(args, target: SejfTarget, size: ScaleSize, tdir: Path) -> tuple[dict, dict]:
    """Runs sejf-seed on the target's data directory (before the server starts); returns its
    report (with the wall time and the database size) and the current value of every secret."""
    free = shutil.disk_usage(tdir).free
    if free < size.estimated_bytes():
        raise RuntimeError(f"{free / 1e9:.1f} GB free in {tdir}; the {size.label} data set needs about "
                           f"{size.estimated_bytes() / 1e9:.1f} GB")
    values_path = tdir / "values.json"
    cmd = [str(args.seed_tool), "--data", str(target.data), "--env", SEJF_REGION, "--secrets", str(size.secrets),
           "--versions", str(size.versions), "--audit-events", str(size.audit_events), "--values-out", str(values_path)]
    log(f"{target.name}: {shlex.join(cmd)}")
    t0 = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True, env=clean_env(), timeout=args.seed_timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"sejf-seed exited {proc.returncode}")
    report = json.loads(proc.stdout)
    report.update({"wall_s": round(time.monotonic() - t0, 2), "command": shlex.join(cmd),
                   "database_mb": round(report["database_bytes"] / 1e6, 1)})
    log(f"{target.name}: seeded {size.describe()} in {report['wall_s']} s; database {report['database_mb']} MB")
    values = json.loads(values_path.read_text())
    values_path.unlink()
    return report, values


def list_secrets_page(target: Target, body: dict) -> tuple[float, dict]:
    """One signed ListSecrets request: (wall ms, the answer). Signed just before it is sent."""
    request = sign_all([("ListSecrets", json.dumps(body).encode())], target.url + "/", target.key_id, target.secret,
                       target.region)[0]
    t0 = time.perf_counter()
    status, raw = send(target.url, request)
    elapsed_ms = (time.perf_counter() - t0) * 1000
    if status != 200:
        raise RuntimeError(f"ListSecrets {body}: HTTP {status}: {raw[:300].decode(errors='replace')}")
    return elapsed_ms, json.loads(raw)


def timed_pages(target: Target, body: dict, runs: int) -> dict:
    """The median wall time of `runs` identical ListSecrets requests, and what the last answered."""
    times, answer = [], {}
    for _ in range(runs):
        elapsed_ms, answer = list_secrets_page(target, body)
        times.append(elapsed_ms)
    return {"request": body, "runs": runs, "median_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2),
            "max_ms": round(max(times), 2), "entries": len(answer.get("SecretList", [])), "next_token": "NextToken" in answer}


def walk_pages(target: Target, page_size: int, budget_s: float) -> dict:
    """Follows NextToken from the first page for up to `budget_s` seconds: the deepest page
    reached and its time, and the median time of the pages walked."""
    _, answer = list_secrets_page(target, {"MaxResults": page_size})
    times, pages = [], 1
    deadline = time.monotonic() + budget_s
    while answer.get("NextToken") and time.monotonic() < deadline:
        elapsed_ms, answer = list_secrets_page(target, {"MaxResults": page_size, "NextToken": answer["NextToken"]})
        times.append(elapsed_ms)
        pages += 1
    if not times:
        return {"pages": pages}
    return {"pages": pages, "deepest_page": pages, "deepest_offset": (pages - 1) * page_size,
            "deepest_page_ms": round(times[-1], 2), "median_ms": round(statistics.median(times), 2),
            "reached_the_end": "NextToken" not in answer}


def measure_list_secrets(args, target: Target, size: ScaleSize) -> dict:
    """ListSecrets pages of --list-page-size: the first page, a deep page (by walking NextToken),
    a name-prefix filter (up to 100 matches) and a tag-value filter (1 secret in 20 matches)."""
    prefix = secret_name(size.secrets // 2)[:-2]
    page = args.list_page_size
    log(f"{target.name}: ListSecrets pages of {page} ({args.list_runs} runs each; NextToken walk {args.list_walk_seconds} s)")
    return {
        "page_size": page,
        "first_page": timed_pages(target, {"MaxResults": page}, args.list_runs),
        "walk": walk_pages(target, page, args.list_walk_seconds),
        "name_filter": timed_pages(target, {"MaxResults": page, "Filters": [{"Key": "name", "Values": [prefix]}]}, args.list_runs),
        "tag_filter": timed_pages(target, {"MaxResults": page, "Filters": [{"Key": "tag-value", "Values": ["team-07"]}]},
                                  args.list_runs),
    }


def measure_audit_cli(args, target: SejfTarget) -> dict:
    """Embedded `sejf audit who-read --since 7d` (median of --audit-runs) and `sejf audit verify`
    (once), after the server stopped."""
    base = [str(args.sejf), "audit"]
    data = ["--data", str(target.data)]
    who_read = base + ["who-read", "--env", SEJF_REGION, "--since", "7d", "--output", "json"] + data
    log(f"{target.name}: sejf audit who-read --since 7d ({args.audit_runs} runs), sejf audit verify")
    result = {"who_read": timed_runs(who_read, clean_env(), args.audit_runs,
                                     lambda out: None if out.lstrip().startswith(b"[") else f"who-read printed {out[:200]!r}",
                                     timeout=args.seed_timeout)}
    if "error" not in result["who_read"]:
        rows = json.loads(subprocess.run(who_read, capture_output=True, env=clean_env(), timeout=args.seed_timeout).stdout)
        result["who_read"]["rows"] = len(rows)
        result["who_read"]["reads"] = sum(row["reads"] for row in rows)
    result["verify"] = timed_runs(base + ["verify"] + data, clean_env(), 1, lambda out: None, timeout=args.seed_timeout)
    return result


def run_scale_size(args, size: ScaleSize, workdir: Path, results: list) -> dict:
    """One data set: `sejf init`, sejf-seed, the server, the GetSecretValue wrk run (as the
    normal run does it), ListSecrets pages; then, embedded, who-read and verify. The data
    directory is removed at the end."""
    tdir = workdir / size.label
    tdir.mkdir()
    target = SejfTarget(tdir, args.sejf, name=f"sejf[{size.label}]")
    info: dict = {"size": size.describe(), "url": target.url}
    try:
        target.init()
        info["seed"], values = seed_data_set(args, target, size, tdir)
        names = [secret_name(i) for i in range(size.secrets)]
        try:
            start_target(target, info)
            measure_wrk_suite(args, target, ["get"], names, values, tdir, info, results)
            info["list_secrets"] = measure_list_secrets(args, target, size)
            record_final_rss(target, info)
        finally:
            stop_target(target, info)
        info["audit_cli"] = measure_audit_cli(args, target)
    finally:
        if not args.keep:   # the large data set takes gigabytes
            shutil.rmtree(target.data, ignore_errors=True)
    return info


def run_scale(args, report: dict, workdir: Path) -> None:
    """Every scale data set in turn, then how much GetSecretValue slowed down on the large one."""
    scale = report["scale"]
    for size in scale_sizes(args):
        log(f"=== scale: {size.label} {size.describe()}")
        try:
            scale["sizes"][size.label] = run_scale_size(args, size, workdir, report["results"])
        except Exception as error:  # noqa: BLE001 - recorded; the other size still runs
            log(f"scale {size.label}: FAILED: {error}")
            scale["sizes"][size.label] = {"size": size.describe(), "error": str(error)}
    scale["get_changes"] = {f"{after}_vs_{before}": change
                            for before, after in (("baseline", "large"), ("baseline", "store"), ("store", "large"))
                            if (change := get_change(report, before, after)) is not None}


def get_change(report: dict, before: str, after: str) -> dict | None:
    """How GetSecretValue changed from one scale data set to another: req/s slower and p99 longer,
    in percent (None when either run is missing or failed)."""
    a, b = find_result(report, f"sejf[{before}]", "get"), find_result(report, f"sejf[{after}]", "get")
    if not (a and b and a.get("ok") and b.get("ok") and a["rps"] and a["latency_ms"]["p99"]):
        return None
    return {"slowdown_pct": round(100 * (a["rps"] - b["rps"]) / a["rps"], 1),
            "p99_change_pct": round(100 * (b["latency_ms"]["p99"] - a["latency_ms"]["p99"]) / a["latency_ms"]["p99"], 1)}


def scale_failures(report: dict) -> list[str]:
    """What went wrong in the scale runs beyond the wrk results (which main checks)."""
    failures = []
    for label, info in report.get("scale", {}).get("sizes", {}).items():
        if "error" in info:
            failures.append(f"scale {label}: {info['error']}")
        for key, value in info.get("audit_cli", {}).items():
            if "error" in value:
                failures.append(f"scale {label} audit {key}: {value['error']}")
        if info.get("exit_status") not in (None, 0):
            failures.append(f"scale {label}: sejf server exited {info.get('exit_status')} on SIGTERM")
    return failures


def scale_summary_lines(report: dict) -> list[str]:
    """The scale runs' figures as text, one line per measurement."""
    scale = report.get("scale")
    if not scale:
        return []
    out = ["", "Scale runs (GetSecretValue as above; ListSecrets pages; embedded audit commands):"]
    for label, info in scale["sizes"].items():
        size, seed = info["size"], info.get("seed", {})
        versions = f"{size['versions']} version" + ("s" if size["versions"] != 1 else "")
        out.append(f"  {label}: {size['secrets']:,} secrets × {versions}, {size['audit_events']:,} audit events"
                   + (f"; seeded in {fmt(seed.get('wall_s'))} s, database {fmt(seed.get('database_mb'))} MB" if seed else "")
                   + (f"; FAILED: {info['error']}" if "error" in info else ""))
        lists = info.get("list_secrets", {})
        for key, label_text in (("first_page", "first page"), ("name_filter", "name filter"), ("tag_filter", "tag filter")):
            if key in lists:
                out.append(f"    ListSecrets {label_text:<12} median {fmt(lists[key]['median_ms'])} ms ({lists[key]['entries']} entries)")
        walk = lists.get("walk", {})
        if "deepest_page" in walk:
            out.append(f"    ListSecrets page {walk['deepest_page']} (offset {walk['deepest_offset']:,}) {fmt(walk['deepest_page_ms'])} ms; "
                       f"median of the walk {fmt(walk['median_ms'])} ms")
        for key, label_text in (("who_read", "audit who-read --since 7d"), ("verify", "audit verify")):
            r = info.get("audit_cli", {}).get(key)
            if r:
                out.append(f"    {label_text:<26} " + (f"median {fmt(r['median_ms'])} ms ({r['runs']} runs)"
                                                       + (f", {r['rows']:,} rows, {r['reads']:,} reads" if "rows" in r else "")
                                                       if "median_ms" in r else f"FAILED: {r.get('error')}"))
    for key, change in scale.get("get_changes", {}).items():
        after, before = key.split("_vs_")
        out.append(f"  GetSecretValue, {after} against {before}: req/s {-change['slowdown_pct']:+.1f}%, "
                   f"p99 {change['p99_change_pct']:+.1f}%")
    return out


# ---------------------------------------------------------------------------------------------
# report

def find_result(report: dict, target: str, workload: str) -> dict | None:
    for r in report["results"]:
        if r["target"] == target and r["workload"] == workload:
            return r
    return None


def ratios_and_goals(report: dict, connections: int) -> None:
    ratios = {}
    for workload in WRK_WORKLOADS:
        s = find_result(report, "sejf", workload)
        if not s or not s.get("ok"):
            continue
        entry = {}
        for peer in ("moto", "ceiling"):
            p = find_result(report, peer, workload)
            if p and p.get("ok") and p["rps"]:
                entry[f"sejf/{peer}"] = round(s["rps"] / p["rps"], 3)
        ratios[workload] = entry
    report["ratios"] = ratios

    goals = []

    def goal(name, wanted, measured, met, unit=""):
        goals.append({"goal": name, "target": wanted, "measured": measured, "unit": unit,
                      "met": None if measured is None else bool(met)})

    get = find_result(report, "sejf", "get")
    r_get = ratios.get("get", {})
    v = r_get.get("sejf/ceiling")
    goal("GetSecretValue ≥ 60% of ceiling", GOALS["get_vs_ceiling"], v, v is not None and v >= GOALS["get_vs_ceiling"], "ratio")
    v = r_get.get("sejf/moto")
    goal("GetSecretValue ≥ 50× moto", GOALS["get_vs_moto"], v, v is not None and v >= GOALS["get_vs_moto"], "ratio")
    v = get["latency_ms"].get("p99") if get and get.get("ok") and connections == 64 else None
    goal("GetSecretValue p99 ≤ 10 ms at 64 connections", GOALS["get_p99_ms"], v, v is not None and v <= GOALS["get_p99_ms"], "ms")
    v = ratios.get("mixed", {}).get("sejf/ceiling")
    goal("mixed ≥ 50% of ceiling", GOALS["mixed_vs_ceiling"], v, v is not None and v >= GOALS["mixed_vs_ceiling"], "ratio")
    put = find_result(report, "sejf", "put")
    v = put["rps"] if put and put.get("ok") else None
    goal("PutSecretValue ≥ 2,000/s", GOALS["put_rps"], v, v is not None and v >= GOALS["put_rps"], "req/s")
    rss = [r.get("server_rss_peak_mb") for r in report["results"] if r["target"] == "sejf" and r.get("server_rss_peak_mb")]
    v = max(rss) if rss else None
    goal("server RSS ≤ 150 MB under load (peak sampled during the wrk runs)", GOALS["rss_mb"], v, v is not None and v <= GOALS["rss_mb"], "MB")
    cli = report["cli"].get("sejf_embedded", {})
    v = cli.get("median_ms")
    goal("embedded `sejf secret get` ≤ 50 ms wall (median)", GOALS["cli_get_ms"], v, v is not None and v <= GOALS["cli_get_ms"], "ms")
    report["goals"] = goals


def fmt(v, digits=1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def print_report(report: dict) -> None:
    out = []
    m = report["machine"]
    s = report["settings"]
    out.append(f"Sejf benchmark — {m['date']} — {m['cpu_model']} ×{m['nproc']}, kernel {m['kernel']}")
    out.append(f"{s['secrets']} secrets{' (scale: see below)' if s.get('scale') else ''}; wrk -t{s['threads']} -c{s['connections']} -d{s['duration']}s --timeout {s['timeout']}s; "
               f"load average at start {m['loadavg_at_start']}")
    out.append("")
    header = (f"{'target':<14} {'workload':<8} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  {'srv CPU µs/req':>14} "
              f"{'RSS MB':>7}  {'CPU s: server/wrk/other':>23}")
    out.append(header)
    out.append("-" * len(header))
    for r in report["results"]:
        lat = r.get("latency_ms", {})
        errors = r.get("error_total")
        out.append(f"{r['target']:<14} {r['workload']:<8} {fmt(r.get('rps')):>10} {fmt(lat.get('p50'), 2):>8} "
                   f"{fmt(lat.get('p99'), 2):>8} {fmt(errors) if errors is not None else 'FAIL':>7}  "
                   f"{fmt(r.get('server_cpu_us_per_request')):>14} {fmt(r.get('server_rss_peak_mb')):>7}  "
                   f"{fmt(r.get('server_cpu_s')) + ' / ' + fmt(r.get('wrk_cpu_s')) + ' / ' + fmt(r.get('other_cpu_s')):>23}")
        if r.get("problem"):
            out.append(f"         ! {r['problem']}")
        other, available = r.get("other_cpu_s"), r.get("cpus_available_s")
        if other is not None and available and other > 0.1 * available:
            out.append(f"         ! {other:.1f} CPU-seconds of other work on the machine during this run "
                       f"({100 * other / available:.0f}% of its capacity): the figure is low")
    out.append("")
    if report["ratios"]:
        out.append(f"{'workload':<8} {'sejf/moto':>10} {'sejf/ceiling':>13}")
        for w, entry in report["ratios"].items():
            out.append(f"{w:<8} {fmt(entry.get('sejf/moto'), 1) + '×' if entry.get('sejf/moto') is not None else '-':>10} "
                       f"{fmt(entry.get('sejf/ceiling') * 100, 1) + '%' if entry.get('sejf/ceiling') is not None else '-':>13}")
        out.append("")
    for key, label in (("sejf_embedded", "render k8s, 100 variables, embedded"),
                       ("sejf", "render k8s, 100 variables, remote (sejf server)")):
        r = report["render"].get(key)
        if r:
            out.append(f"{label:<52} " + (f"median {fmt(r['median_ms'])} ms (min {fmt(r['min_ms'])}, {r['runs']} runs)"
                                            if "median_ms" in r else f"FAILED: {r.get('error')}"))
    for key, label in (("sejf_embedded", "sejf secret get, embedded, cold process"),
                       ("sejf_remote", "sejf secret get, remote, cold process")):
        r = report["cli"].get(key)
        if r:
            out.append(f"{label:<52} " + (f"median {fmt(r['median_ms'])} ms (min {fmt(r['min_ms'])}, {r['runs']} runs)"
                                            if "median_ms" in r else f"FAILED: {r.get('error')}"))
    for name, info in report["targets"].items():
        if info.get("rss_idle_mb") is not None:
            out.append(f"{name + ' RSS':<52} idle {fmt(info.get('rss_idle_mb'))} MB, end of get "
                       f"{fmt(info.get('rss_end_of_get_mb'))} MB, peak {fmt(info.get('rss_hwm_mb'))} MB (VmHWM); "
                       f"exit status {info.get('exit_status')}; {info.get('server_log', {}).get('stderr_lines', 0)} log lines")
    out.extend(scale_summary_lines(report))
    if report["goals"]:
        out.append("")
        out.append("Targets (to chase later; measured, not enforced):")
        for g in report["goals"]:
            mark = {True: "met", False: "NOT met", None: "not measured"}[g["met"]]
            measured = g["measured"]
            if g["unit"] == "ratio" and measured is not None:
                shown = f"{measured * 100:.1f}%" if g["target"] < 1 else f"{measured:.1f}×"
            else:
                shown = fmt(measured)
            out.append(f"  {g['goal']:<68} {shown:>10}  {mark}")
    print("\n".join(out), flush=True)


# ---------------------------------------------------------------------------------------------
# main

def binary_info(path: Path) -> dict:
    """Which build was measured: path, size, modification time and SHA-256."""
    import hashlib
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        stat = path.stat()
    except OSError:
        return {"path": str(path)}
    return {"path": str(path), "bytes": stat.st_size, "sha256": digest,
            "modified": datetime.datetime.fromtimestamp(stat.st_mtime, datetime.timezone.utc).isoformat(timespec="seconds")}


def default_sejf() -> Path:
    for candidate in (REPO / ".build-release" / "release" / "sejf", REPO / ".build" / "release" / "sejf"):
        if candidate.exists():
            return candidate
    return REPO / ".build-release" / "release" / "sejf"


def default_ceiling() -> Path:
    for candidate in (REPO / ".build-ceiling" / "release" / "ceiling",
                      BENCH / "ceiling" / ".build" / "release" / "ceiling"):
        if candidate.exists():
            return candidate
    return REPO / ".build-ceiling" / "release" / "ceiling"


def default_seed_tool() -> Path:
    return BENCH / "tools" / ".build-tools" / "release" / "sejf-seed"


def scale_defaults(args, quick: bool) -> None:
    """The scale options' defaults (smaller with --quick); in scale mode only sejf's get runs."""
    def pick(value, normal, small):
        return value if value is not None else (small if quick else normal)
    args.scale_secrets = pick(args.scale_secrets, 100_000, 50)
    args.scale_versions = pick(args.scale_versions, 5, 2)
    args.scale_audit_events = pick(args.scale_audit_events, 10_000_000, 1000)
    args.list_runs = pick(args.list_runs, 5, 2)
    args.list_walk_seconds = pick(args.list_walk_seconds, 60, 2)
    args.list_page_size = pick(args.list_page_size, 100, 10)
    args.audit_runs = pick(args.audit_runs, 3, 1)
    args.seed_tool = (args.seed_tool or default_seed_tool()).absolute()
    if args.scale:
        args.targets, args.workloads = "sejf", "get"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sejf", type=Path, default=None, help="the sejf binary (default: .build-release/release/sejf if present, else .build/release/sejf)")
    p.add_argument("--ceiling", type=Path, default=None, help="the ceiling binary (default: .build-ceiling/release/ceiling)")
    p.add_argument("--secrets", type=int, default=None, help="secrets in the data set (default 1000; --quick 20)")
    p.add_argument("--duration", type=float, default=None, help="seconds per wrk run (default 10; --quick 1)")
    p.add_argument("--connections", type=int, default=None, help="wrk connections (default 64; --quick 4)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--timeout", type=int, default=10, help="wrk's --timeout in seconds (default 10)")
    p.add_argument("--warmup", type=float, default=None, help="seconds of unmeasured GetSecretValue load per target first (default 3; --quick 0)")
    p.add_argument("--workloads", default=",".join(ALL_WORKLOADS), help=f"comma-separated, of {','.join(ALL_WORKLOADS)}")
    p.add_argument("--targets", default=",".join(ALL_TARGETS), help=f"comma-separated, of {','.join(ALL_TARGETS)}")
    p.add_argument("--read-pool", type=int, default=100_000, help="at most this many distinct pre-signed reads per stream (default 100000)")
    p.add_argument("--put-rate-guess", type=float, default=3500, help="puts/s the write pool is first sized for (default 3500; a pool that runs out is tripled and the run repeated)")
    p.add_argument("--render-runs", type=int, default=5, help="timed `sejf render k8s` runs (median reported; default 5)")
    p.add_argument("--cli-runs", type=int, default=20, help="timed `sejf secret get` runs (median reported; default 20)")
    p.add_argument("--quick", action="store_true", help="the smallest configuration (20 secrets, 1 s, 4 connections): proves the harness works, measures nothing")
    p.add_argument("--scale", action="store_true", help="the scale runs instead: GetSecretValue, ListSecrets pages and embedded "
                   "audit commands over --secrets secrets (1 version, no audit trail), then over a large data set seeded by "
                   "sejf-seed (--scale-secrets × --scale-versions, --scale-audit-events); sejf only")
    p.add_argument("--scale-secrets", type=int, default=None, help="secrets of the large scale data set (default 100000; --quick 50)")
    p.add_argument("--scale-versions", type=int, default=None, help="versions per secret of the large data set (default 5; --quick 2)")
    p.add_argument("--scale-audit-events", type=int, default=None, help="audit events of the large data set, over the last 7 days "
                   "(default 10000000; --quick 1000)")
    p.add_argument("--seed-tool", type=Path, default=None, help="the sejf-seed binary (default: Benchmarks/tools/.build-tools/release/sejf-seed)")
    p.add_argument("--seed-timeout", type=float, default=3600, help="seconds allowed for seeding and for each audit command (default 3600)")
    p.add_argument("--list-runs", type=int, default=None, help="timed runs of each ListSecrets request (median reported; default 5; --quick 2)")
    p.add_argument("--list-page-size", type=int, default=None, help="ListSecrets MaxResults (default 100; --quick 10)")
    p.add_argument("--list-walk-seconds", type=float, default=None, help="how long to follow NextToken for the deep page (default 60; --quick 2)")
    p.add_argument("--audit-runs", type=int, default=None, help="timed runs of `sejf audit who-read` (median reported; default 3; --quick 1)")
    p.add_argument("--out", type=Path, default=None, help="write the results as JSON to this file")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (data, scripts, server logs)")
    args = p.parse_args(argv)
    quick = args.quick
    args.secrets = args.secrets if args.secrets is not None else (20 if quick else 1000)
    args.duration = args.duration if args.duration is not None else (1 if quick else 10)
    args.connections = args.connections if args.connections is not None else (4 if quick else 64)
    args.warmup = args.warmup if args.warmup is not None else (0 if quick else 3)
    if quick:
        args.render_runs = min(args.render_runs, 2)
        args.cli_runs = min(args.cli_runs, 3)
    scale_defaults(args, quick)
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    for w in args.workloads:
        if w not in ALL_WORKLOADS:
            p.error(f"unknown workload {w!r} (known: {', '.join(ALL_WORKLOADS)})")
    for t in args.targets:
        if t not in ALL_TARGETS:
            p.error(f"unknown target {t!r} (known: {', '.join(ALL_TARGETS)})")
    if args.secrets < BATCH_SIZE and "batch" in args.workloads:
        p.error(f"batch needs at least {BATCH_SIZE} secrets")
    if args.secrets < 1 or args.duration <= 0 or args.connections < 1 or args.threads < 1:
        p.error("--secrets, --duration, --connections and --threads must be positive")
    if args.duration > 600:
        p.error("--duration over 600 s would outlast the 15-minute validity of the pre-signed requests")
    args.sejf = (args.sejf or default_sejf()).absolute()
    args.ceiling = (args.ceiling or default_ceiling()).absolute()
    if args.scale and not args.seed_tool.exists():
        p.error(f"no sejf-seed binary at {args.seed_tool}: swift build -c release --package-path Benchmarks/tools "
                f"--scratch-path Benchmarks/tools/.build-tools --product sejf-seed (scripts/bench.sh --scale does), or pass --seed-tool")
    needs_sejf = "sejf" in args.targets or any(w in args.workloads for w in ("render", "cli"))
    if needs_sejf and not args.sejf.exists():
        p.error(f"no sejf binary at {args.sejf}: build it (scripts/bench.sh does) or pass --sejf")
    if "ceiling" in args.targets and not args.ceiling.exists():
        p.error(f"no ceiling binary at {args.ceiling}: swift build -c release --package-path Benchmarks/ceiling "
                f"--scratch-path .build-ceiling, or pass --ceiling")
    if "moto" in args.targets and shutil.which("moto_server") is None:
        p.error("moto_server not found: pip install 'moto[server]'")
    if any(w in WRK_WORKLOADS for w in args.workloads) and shutil.which("wrk") is None:
        p.error("wrk not found: apt-get install wrk (scripts/bench.sh installs it)")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    report = {
        "schema": "sejf-bench/1",
        "command": [sys.executable, __file__, *argv],
        "command_line": shlex.join(["python3", os.path.relpath(__file__, os.getcwd()), *argv]),
        "machine": machine_info(),
        "settings": {"secrets": args.secrets, "duration": args.duration, "connections": args.connections,
                     "threads": min(args.threads, args.connections), "timeout": args.timeout, "warmup": args.warmup,
                     "workloads": args.workloads, "targets": args.targets, "quick": args.quick,
                     "value_bytes": "~100 (JSON: username, 48-character password, port)",
                     "mixed": "90% GetSecretValue, 5% DescribeSecret, 5% PutSecretValue",
                     "batch": f"BatchGetSecretValue of {BATCH_SIZE} names",
                     "sejf": binary_info(args.sejf) if args.sejf.exists() else None,
                     "ceiling": binary_info(args.ceiling) if "ceiling" in args.targets else None,
                     "scale": {"sizes": [size.describe() for size in scale_sizes(args)], "list_runs": args.list_runs,
                               "list_page_size": args.list_page_size,
                               "list_walk_seconds": args.list_walk_seconds, "audit_runs": args.audit_runs,
                               "seed_tool": binary_info(args.seed_tool)} if args.scale else None},
        "targets": {}, "results": [], "render": {}, "cli": {}, "ratios": {}, "goals": [],
    }
    workdir = Path(tempfile.mkdtemp(prefix="sejf-bench-"))
    failures = []
    if args.scale:
        report["scale"] = {"sizes": {}}
    try:
        if args.scale:
            run_scale(args, report, workdir)
        for name in ([] if args.scale else args.targets):
            log(f"=== {name}")
            try:
                run_target(args, name, workdir, report)
            except Exception as error:  # noqa: BLE001 - recorded; the other targets still run
                log(f"{name}: FAILED: {error}")
                failures.append(f"{name}: {error}")
                report["targets"].setdefault(name, {})["error"] = str(error)
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if not args.scale:   # the ratios and goals are about the normal run
        ratios_and_goals(report, args.connections)
    report["machine"]["loadavg_at_end"] = loadavg()
    for r in report["results"]:
        if not r.get("ok"):
            failures.append(f"{r['target']} {r['workload']}: {r.get('problem', 'no result')}")
    for key in ("render", "cli"):
        for k, v in report[key].items():
            if "error" in v:
                failures.append(f"{key} {k}: {v['error']}")
    failures.extend(scale_failures(report))
    sejf_info = report["targets"].get("sejf", {})
    if sejf_info.get("exit_status") not in (None, 0):
        failures.append(f"sejf server exited {sejf_info.get('exit_status')} on SIGTERM")
    report["failures"] = failures
    print_report(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        slim = json.loads(json.dumps(report))
        args.out.write_text(json.dumps(slim, indent=2, ensure_ascii=False) + "\n")
        log(f"results written to {args.out}")
    if failures:
        print("\nFAILURES:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
