#!/usr/bin/env python3
"""Soak test of `sejf server`: a steady mixed load for a long time, watching memory and latency.

Starts `sejf server` on a fresh data directory (the release build at .build-release/release/sejf
when present, else the debug build; `--sejf` to choose), creates `--secrets` secrets, then runs
`--clients` client threads for `--minutes` minutes. Each thread sends pre-signed requests over
one keep-alive connection: 90% GetSecretValue, 5% DescribeSecret, 5% PutSecretValue (every put a
new version). Requests are signed with Benchmarks/bench.py's SigV4 code; reads are re-signed every
10 minutes (SigV4 allows 15), puts are signed as they are sent (each carries its own token).

Every `--interval` seconds it samples the server's RSS (and its anonymous part, heap and stacks,
apart from the mapped binary's pages) and records the requests, errors and p50 /
p99 latency of that interval. Every answer is checked (status 200, the right secret and value, a
put's VersionId is its token); anything else, and any socket error, is an error.

The report (stdout, and `--json FILE`): RSS and anonymous RSS at the start and end of the measured
part (after `--warmup` seconds), the RSS's linear-regression slope in MB/min, p99 per interval (median, max),
requests and errors. The exit status is 1 when there was any error, when the server died, or when
the RSS grew by more than `--max-growth-mb` over the measured part (by the regression line).

    python3 Tests/soak/soak.py                      # 10 minutes
    python3 Tests/soak/soak.py --minutes 60         # the long form
    python3 Tests/soak/soak.py --minutes 0.5 --warmup 5 --secrets 50   # a harness check
"""
import argparse
import http.client
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Benchmarks"))
import bench  # noqa: E402  (the SigV4 pre-signing, the data set, the server target)

RESIGN_SECONDS = 10 * 60
MIX = ["get"] * 18 + ["describe", "put"]  # 90 / 5 / 5


def default_binary() -> Path:
    """The release build when there is one, else the debug build."""
    release = REPO / ".build-release" / "release" / "sejf"
    return release if release.exists() else REPO / ".build" / "debug" / "sejf"


class Interval:
    """What the clients saw since the last sample: latencies (s) and error descriptions."""

    def __init__(self):
        self.latencies = []
        self.errors = []


class Load:
    """The client threads and the requests they send; `take()` swaps out the current interval."""

    def __init__(self, target, pools, values, clients, seed):
        self.target, self.pools, self.values = target, pools, values
        self.clients = clients
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.interval = Interval()
        self.halt = threading.Event()
        self.reads = {}
        self.signed_at = 0.0
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(clients)]

    def sign_reads(self):
        """(Re-)signs the replayable reads, at most every RESIGN_SECONDS."""
        if time.monotonic() - self.signed_at < RESIGN_SECONDS:
            return
        with self.lock:
            gets = self.pools.gets(500)
            describes = self.pools.describes(100)
        reads = {"get": self.pools.sign(gets), "describe": self.pools.sign(describes)}
        with self.lock:
            self.reads, self.signed_at = reads, time.monotonic()

    def next_request(self, rng, kind):
        """A signed request of `kind`: a put is made and signed now (it must be unique)."""
        if kind == "put":
            with self.lock:
                item = self.pools.puts(1)
            return self.pools.sign(item)[0]
        with self.lock:
            return rng.choice(self.reads[kind])

    def record(self, latency, error):
        with self.lock:
            self.interval.latencies.append(latency)
            if error:
                self.interval.errors.append(error)

    def take(self):
        with self.lock:
            interval, self.interval = self.interval, Interval()
        return interval

    def client(self, number):
        rng = random.Random(f"{self.rng.random()}-{number}")
        host, port = self.target.url.split("://", 1)[1].split(":")
        connection = None
        while not self.halt.is_set():
            kind = rng.choice(MIX)
            request = self.next_request(rng, kind)
            if connection is None:
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
            started = time.monotonic()
            try:
                method, path, body, headers = request
                connection.request(method, path, body=body, headers=dict(headers))
                response = connection.getresponse()
                status, answer = response.status, response.read()
                error = bench.check_answer(self.target, kind, request, status, answer, self.values, self.pools.written)
            except (OSError, http.client.HTTPException) as failure:
                error = f"{kind}: {type(failure).__name__}: {failure}"
                connection.close()
                connection = None
            self.record(time.monotonic() - started, error)

    def start(self):
        self.sign_reads()
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.halt.set()
        for thread in self.threads:
            thread.join(timeout=60)


def percentile(values, fraction):
    """The `fraction` percentile (nearest rank) of `values`, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def sample(load, target, started):
    """One interval's figures, and the server's RSS now and its anonymous part (MiB)."""
    interval = load.take()
    status = bench.read_proc_status(target.pid)
    rss, anon = status.get("VmRSS"), status.get("RssAnon")
    p50, p99 = percentile(interval.latencies, 0.50), percentile(interval.latencies, 0.99)
    return {"t": round(time.monotonic() - started, 1), "rss_mb": rss, "anon_mb": anon, "requests": len(interval.latencies),
            "errors": len(interval.errors), "first_errors": interval.errors[:3],
            "p50_ms": round(p50 * 1000, 2) if p50 is not None else None,
            "p99_ms": round(p99 * 1000, 2) if p99 is not None else None}


def summarise(samples, args, seconds, exit_status):
    """The report: RSS trend over the measured part, p99 stability, totals, and the verdict."""
    measured = [s for s in samples if s["t"] >= args.warmup and s["rss_mb"] is not None]
    if len(measured) < 2:
        measured = [s for s in samples if s["rss_mb"] is not None]
    minutes = [s["t"] / 60 for s in measured]
    rss = [s["rss_mb"] for s in measured]
    anon = [s["anon_mb"] for s in measured if s.get("anon_mb") is not None]
    slope = statistics.linear_regression(minutes, rss).slope if len(set(minutes)) > 1 else 0.0
    growth = slope * (minutes[-1] - minutes[0]) if measured else 0.0
    p99s = [s["p99_ms"] for s in measured if s["p99_ms"] is not None]
    errors = sum(s["errors"] for s in samples)
    report = {
        "minutes": args.minutes, "clients": args.clients, "secrets": args.secrets, "interval_seconds": args.interval,
        "warmup_seconds": args.warmup, "binary": str(args.sejf), "seconds": round(seconds, 1),
        "requests": sum(s["requests"] for s in samples), "errors": errors,
        "first_errors": [e for s in samples for e in s["first_errors"]][:10],
        "requests_per_second": round(sum(s["requests"] for s in samples) / max(seconds, 1e-9), 1),
        "rss_start_mb": round(rss[0], 1) if rss else None, "rss_end_mb": round(rss[-1], 1) if rss else None,
        "rss_max_mb": round(max(rss), 1) if rss else None, "rss_slope_mb_per_min": round(slope, 3),
        "rss_growth_mb": round(growth, 1),
        "anon_start_mb": round(anon[0], 1) if anon else None, "anon_end_mb": round(anon[-1], 1) if anon else None,
        "p99_ms_median": round(statistics.median(p99s), 2) if p99s else None,
        "p99_ms_max": round(max(p99s), 2) if p99s else None,
        "server_exit_status": exit_status, "samples": samples,
    }
    problems = []
    if errors:
        problems.append(f"{errors} errors")
    if exit_status != 0:
        problems.append(f"the server exited {exit_status} on SIGTERM (or died)")
    if growth > args.max_growth_mb:
        problems.append(f"RSS grew {growth:.1f} MB (more than {args.max_growth_mb} MB)")
    report["problems"] = problems
    return report


def run(args):
    """Starts the server, loads it for `--minutes`, stops it; returns the report."""
    workdir = Path(tempfile.mkdtemp(prefix="sejf-soak-"))
    target = bench.SejfTarget(workdir, Path(args.sejf))
    samples, exit_status, load = [], None, None
    try:
        target.init()
        target.start()
        names = [bench.secret_name(i) for i in range(args.secrets)]
        values = bench.create_data_set(target.url, target.key_id, target.secret, target.region, names, workers=4)
        load = Load(target, bench.Pools(target, names, seed=args.seed), values, args.clients, args.seed)
        started = time.monotonic()
        load.start()
        deadline = started + args.minutes * 60
        while time.monotonic() < deadline:
            time.sleep(max(0.0, min(args.interval, deadline - time.monotonic())))
            samples.append(sample(load, target, started))
            if not args.quiet:
                print(json.dumps({k: v for k, v in samples[-1].items() if k != "first_errors"}), flush=True)
            if target.process.poll() is not None:
                break
            load.sign_reads()
        load.stop()
        seconds = time.monotonic() - started
        exit_status = target.process.returncode if target.process.poll() is not None else target.stop()
        return summarise(samples, args, seconds, exit_status)
    finally:
        if load is not None:
            load.halt.set()
        target.stop()
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--secrets", type=int, default=500)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds left out of the RSS trend")
    parser.add_argument("--max-growth-mb", type=float, default=20.0,
                        help="fail when the RSS regression line rises more than this over the measured part")
    parser.add_argument("--sejf", default=str(default_binary()))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", dest="json_out", default=None, help="write the report as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    parser.add_argument("--quiet", action="store_true", help="no line per interval")
    args = parser.parse_args(argv)
    if not Path(args.sejf).exists():
        parser.error(f"{args.sejf} does not exist: run `swift build` first")
    return args


def main(argv=None):
    args = parse_args(argv)
    report = run(args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2) + "\n")
    verdict = "OK" if not report["problems"] else "FAILED: " + "; ".join(report["problems"])
    print(f"soak {verdict}: {report['seconds']} s, {report['requests']} requests "
          f"({report['requests_per_second']}/s), {report['errors']} errors; RSS {report['rss_start_mb']} -> "
          f"{report['rss_end_mb']} MB (max {report['rss_max_mb']}; anonymous {report['anon_start_mb']} -> {report['anon_end_mb']}), "
          f"slope {report['rss_slope_mb_per_min']} MB/min; "
          f"p99 per {args.interval:g} s: median {report['p99_ms_median']} ms, max {report['p99_ms_max']} ms")
    for error in report["first_errors"]:
        print(f"  error: {error}")
    return 0 if not report["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
