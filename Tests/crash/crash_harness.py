#!/usr/bin/env python3
"""Crash-safety harness for `sejf server`.

Starts a server on a fresh data directory, drives concurrent writes (CreateSecret,
PutSecretValue, UpdateSecretVersionStage, TagResource/UntagResource) and audited reads
(GetSecretValue) from several boto3 client threads, and `kill -9`s the server at a random
moment, N times. After every kill, with the server dead, it checks:

  * `PRAGMA integrity_check` is `ok` (read-only sqlite3 connection);
  * `sejf audit verify` passes, also against the checkpoint taken after the previous kill
    (so no event that was already durable disappeared);
  * every acknowledged GetSecretValue has its `allowed` audit event (matched by request id,
    with the same version id), from `sejf audit export --format jsonl`;

and after the restart, through the API:

  * every secret's versions, staging labels (AWSCURRENT, AWSPREVIOUS, STAGED) and tags equal
    the model built from the acknowledged writes; a write whose outcome is unknown (its
    connection died with the server) is folded into the model if and only if the store shows
    it, and the whole store must still match exactly (so it was applied atomically or not at
    all);
  * refused writes (4xx answers: a duplicate CreateSecret, a racing CreateSecret that lost)
    left nothing behind, and no name exists twice.

Each client thread owns its secrets, so its requests on them are sequential and the expected
state is exact; one shared name per round is raced by all threads with CreateSecret.

    python3 Tests/crash/crash_harness.py                 # 10 kills
    python3 Tests/crash/crash_harness.py --kills 100     # the long form
"""
import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import botocore.exceptions
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "compat"))
from conftest import clean_env, stop_process  # noqa: E402  (shared with the pytest suite)

DEFAULT_SEJF = Path(os.environ.get("SEJF_BIN", REPO / ".build" / "debug" / "sejf"))
LABELS = ("AWSCURRENT", "AWSPREVIOUS", "STAGED")
TAG_KEYS = ("team", "tier", "owner", "cost")
MAX_SECRETS_PER_CLIENT = 6


class Violation(Exception):
    pass


class SecretModel:
    """What the store must hold for one secret, from the acknowledged writes."""

    def __init__(self, name, owner):
        self.name = name
        self.owner = owner
        self.exists = False
        self.versions = {}          # version id -> value
        self.labels = {}            # label -> version id
        self.tags = {}
        self.refused_tokens = set()  # ClientRequestTokens of refused creates / puts
        self.acked = 0               # acknowledged writes on this secret

    def apply_create(self, token, value):
        self.exists = True
        self.versions = {token: value}
        self.labels = {"AWSCURRENT": token}

    def move_label(self, label, vid):
        old = self.labels.get(label)
        self.labels[label] = vid
        if label == "AWSCURRENT" and old is not None and old != vid:
            self.labels["AWSPREVIOUS"] = old

    def apply_put(self, token, value, stage):
        self.versions[token] = value
        self.move_label(stage, token)


class Op:
    """One request and what the client saw: 'ack', 'refused' (4xx), 'unknown'."""

    def __init__(self, kind, secret, **args):
        self.kind, self.secret, self.args = kind, secret, args
        self.outcome = None
        self.detail = None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n


class Server:
    def __init__(self, sejf, data, log):
        self.log = open(log, "a")
        self.process = subprocess.Popen(
            [str(sejf), "server", "--data", str(data), "--listen", "127.0.0.1:0", "--log-level", "warning",
             "--rotation-check", "0"],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=clean_env())
        line = self.process.stdout.readline()
        if "listening on http://" not in line:
            self.process.kill()
            self.process.wait()
            raise Violation(f"server did not start after a crash: {line!r} (see {log})")
        self.endpoint = line.split("listening on ")[1].split()[0]

    def kill9(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process.stdout.close()
        self.log.close()

    def stop(self):
        stop_process(self.process)
        self.process.stdout.close()
        self.log.close()
        return self.process.returncode


class Harness:
    def __init__(self, args):
        self.args = args
        self.sejf = Path(args.sejf)
        self.rng = random.Random(args.seed)
        self.stats = Stats()
        self.violations = []
        self.secrets = {}            # name -> SecretModel
        self.client_secrets = {c: [] for c in range(args.clients)}
        self.reads_verified = 0
        self.writes_verified = 0
        self.pending_reads = []      # (request id, name, version id) of acknowledged reads not yet checked
        self.counter = 0

    # ---------------------------------------------------------------- helpers

    def sejf_cli(self, *argv, check=True):
        result = subprocess.run([str(self.sejf), *argv, "--data", str(self.data)], capture_output=True,
                                text=True, env=clean_env(), timeout=300)
        if check and result.returncode != 0:
            raise Violation(f"sejf {' '.join(argv)} exited {result.returncode}: {result.stderr.strip()}")
        return result

    def client(self, endpoint):
        session = boto3.session.Session()
        return session.client(
            "secretsmanager", endpoint_url=endpoint, region_name="dev",
            aws_access_key_id=self.key_id, aws_secret_access_key=self.secret_key,
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=3, read_timeout=15,
                          max_pool_connections=4))

    def violation(self, round_no, message):
        text = f"kill {round_no}: {message}"
        self.violations.append(text)
        print("VIOLATION " + text, file=sys.stderr, flush=True)

    def new_name(self, prefix):
        with self.stats.lock:
            self.counter += 1
            return f"crash/{prefix}-{self.counter}"

    # ---------------------------------------------------------------- the workload

    def call(self, op, fn, **kwargs):
        """Runs one request, records its outcome on `op`; returns the response or None."""
        try:
            response = fn(**kwargs)
            op.outcome = "ack"
            return response
        except botocore.exceptions.ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            code = error.response.get("Error", {}).get("Code")
            op.detail = code
            if 400 <= status < 500:
                op.outcome = "refused"
            else:
                op.outcome = "unknown"       # a 5xx: the write may or may not have happened
                self.stats.add(f"http_{status}_{code}")
            return None
        except Exception as error:          # connection refused / reset / timed out: the kill
            op.outcome = "unknown"
            op.detail = type(error).__name__
            return None

    def worker(self, cid, endpoint, round_no, stop, race_name, race_ops, unknown_ops, errors):
        rng = random.Random(f"{self.args.seed}-{round_no}-{cid}")
        try:
            client = self.client(endpoint)
        except Exception as error:
            errors.append(f"client {cid}: {error!r}")
            return
        owned = self.client_secrets[cid]

        # The race: every client creates the same name; one may win, the others are refused.
        token = str(uuid.UUID(int=rng.getrandbits(128)))
        op = Op("race", race_name, token=token)
        self.call(op, client.create_secret, Name=race_name, SecretString=f"race-{cid}", ClientRequestToken=token)
        race_ops.append(op)
        if op.outcome == "unknown":
            unknown_ops.append(op)
            return

        while not stop.is_set():
            live = [self.secrets[n] for n in owned if self.secrets[n].exists]
            r = rng.random()
            if not live or (r < 0.06 and len(owned) < MAX_SECRETS_PER_CLIENT):
                name = self.new_name(f"c{cid}")
                owned.append(name)
                model = self.secrets[name] = SecretModel(name, cid)
                token = str(uuid.uuid4())
                value = f"v-{token}"
                op = Op("create", model, token=token, value=value)
                self.call(op, client.create_secret, Name=name, SecretString=value, ClientRequestToken=token)
                if op.outcome == "ack":
                    model.apply_create(token, value)
                elif op.outcome == "refused":
                    errors.append(f"CreateSecret {name} refused: {op.detail}")
                    model.refused_tokens.add(token)
            else:
                model = rng.choice(live)
                if r < 0.10:
                    # A duplicate create: must be refused and leave nothing behind.
                    token = str(uuid.uuid4())
                    op = Op("dupcreate", model, token=token)
                    self.call(op, client.create_secret, Name=model.name, SecretString="dup", ClientRequestToken=token)
                    if op.outcome == "ack":
                        errors.append(f"duplicate CreateSecret {model.name} was acknowledged")
                    elif op.outcome == "refused":
                        model.refused_tokens.add(token)
                        self.stats.add("refused_writes")
                        if op.detail != "ResourceExistsException":
                            errors.append(f"duplicate CreateSecret {model.name}: {op.detail}")
                elif r < 0.45:
                    token = str(uuid.uuid4())
                    value = f"v-{token}"
                    stage = "AWSCURRENT" if rng.random() < 0.7 else "STAGED"
                    op = Op("put", model, token=token, value=value, stage=stage)
                    self.call(op, client.put_secret_value, SecretId=model.name, SecretString=value,
                              ClientRequestToken=token, VersionStages=[stage])
                    if op.outcome == "ack":
                        model.apply_put(token, value, stage)
                    elif op.outcome == "refused":
                        errors.append(f"PutSecretValue {model.name} refused: {op.detail}")
                elif r < 0.55:
                    current = model.labels.get("AWSCURRENT")
                    candidates = [v for v in model.versions if v != current]
                    if not candidates:
                        continue
                    target = model.labels.get("STAGED") if "STAGED" in model.labels and model.labels["STAGED"] != current \
                        else rng.choice(sorted(candidates))
                    op = Op("stage", model, label="AWSCURRENT", to=target, frm=current)
                    self.call(op, client.update_secret_version_stage, SecretId=model.name, VersionStage="AWSCURRENT",
                              MoveToVersionId=target, RemoveFromVersionId=current)
                    if op.outcome == "ack":
                        model.move_label("AWSCURRENT", target)
                    elif op.outcome == "refused":
                        errors.append(f"UpdateSecretVersionStage {model.name} refused: {op.detail}")
                elif r < 0.68:
                    if model.tags and rng.random() < 0.2:
                        key = rng.choice(sorted(model.tags))
                        op = Op("untag", model, key=key)
                        self.call(op, client.untag_resource, SecretId=model.name, TagKeys=[key])
                        if op.outcome == "ack":
                            del model.tags[key]
                    else:
                        key, value = rng.choice(TAG_KEYS), f"t{rng.getrandbits(24):06x}"
                        op = Op("tag", model, key=key, value=value)
                        self.call(op, client.tag_resource, SecretId=model.name, Tags=[{"Key": key, "Value": value}])
                        if op.outcome == "ack":
                            model.tags[key] = value
                    if op.outcome == "refused":
                        errors.append(f"{op.kind} {model.name} refused: {op.detail}")
                else:
                    op = Op("read", model)
                    response = self.call(op, client.get_secret_value, SecretId=model.name)
                    if op.outcome == "ack":
                        vid = response["VersionId"]
                        want = model.labels.get("AWSCURRENT")
                        if vid != want or response.get("SecretString") != model.versions.get(vid):
                            errors.append(f"GetSecretValue {model.name} returned version {vid}, expected {want}")
                        with self.stats.lock:
                            self.pending_reads.append((response["ResponseMetadata"]["RequestId"], model.name, vid))
                    elif op.outcome == "refused":
                        errors.append(f"GetSecretValue {model.name} refused: {op.detail}")
            self.stats.add(f"{op.kind}_{op.outcome}")
            if op.outcome == "ack" and op.kind in ("create", "put", "stage", "tag", "untag"):
                model.acked += 1
            if op.outcome == "unknown":
                unknown_ops.append(op)
                return            # the server is gone (or failed): stop until the next round

    # ---------------------------------------------------------------- checks with the server dead

    def check_dead(self, round_no, since):
        db = self.data / "sejf.db"
        try:
            connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            rows = connection.execute("PRAGMA integrity_check").fetchall()
            connection.close()
            if rows != [("ok",)]:
                self.violation(round_no, f"integrity_check: {rows[:5]}")
        except sqlite3.Error as error:
            self.violation(round_no, f"integrity_check could not run: {error}")

        verify_args = ["audit", "verify"]
        if self.checkpoint_file.exists():
            verify_args += ["--checkpoint", str(self.checkpoint_file)]
        result = self.sejf_cli(*verify_args, check=False)
        if result.returncode != 0:
            self.violation(round_no, f"sejf audit verify exited {result.returncode}: "
                                     f"{(result.stdout + result.stderr).strip()}")
        checkpoint = self.sejf_cli("audit", "checkpoint", check=False)
        if checkpoint.returncode == 0:
            self.checkpoint_file.write_text(checkpoint.stdout)

        # Every acknowledged read has its allowed event, by request id.
        since_text = (since - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        export = self.sejf_cli("audit", "export", "--format", "jsonl", "--action", "GetSecretValue",
                               "--since", since_text, check=False)
        if export.returncode != 0:
            self.violation(round_no, f"sejf audit export failed: {export.stderr.strip()}")
            return
        events = {}
        for line in export.stdout.splitlines():
            if line.strip():
                event = json.loads(line)
                events[event.get("requestId")] = event
        with self.stats.lock:
            reads, self.pending_reads = self.pending_reads, []
        for request_id, name, vid in reads:
            event = events.get(request_id)
            if event is None:
                self.violation(round_no, f"acknowledged GetSecretValue {name} (request {request_id}) has no audit event")
            elif event.get("outcome") != "allowed" or event.get("versionId") != vid:
                self.violation(round_no, f"audit event for request {request_id} says outcome "
                                         f"{event.get('outcome')} version {event.get('versionId')}, the client got {vid}")
            else:
                self.reads_verified += 1

    # ---------------------------------------------------------------- checks against the restarted server

    def observe(self, client):
        """name -> list of (arn, tags, versions: {vid: [stages]}) for every secret in the store."""
        seen = {}
        for page in client.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True):
            for entry in page["SecretList"]:
                seen.setdefault(entry["Name"], []).append(entry)
        result = {}
        for name, entries in seen.items():
            observed = []
            for entry in entries:
                versions = {}
                kwargs = {"SecretId": entry["ARN"], "IncludeDeprecated": True, "MaxResults": 100}
                while True:
                    page = client.list_secret_version_ids(**kwargs)
                    for v in page["Versions"]:
                        versions[v["VersionId"]] = v.get("VersionStages", [])
                    if not page.get("NextToken"):
                        break
                    kwargs["NextToken"] = page["NextToken"]
                tags = {t["Key"]: t["Value"] for t in entry.get("Tags", [])}
                observed.append((entry["ARN"], tags, versions))
            result[name] = observed
        return result

    def resolve_unknown(self, op, observed):
        """Folds a write of unknown outcome into the model iff the store shows it."""
        model = op.secret if isinstance(op.secret, SecretModel) else None
        if op.kind == "race" or model is None:
            return
        entries = observed.get(model.name, [])
        if not entries:
            return
        _, tags, versions = entries[0]
        labels = {s: v for v, stages in versions.items() for s in stages}
        if op.kind == "create":
            model.apply_create(op.args["token"], op.args["value"])
        elif op.kind == "put" and op.args["token"] in versions:
            model.apply_put(op.args["token"], op.args["value"], op.args["stage"])
        elif op.kind == "stage" and labels.get("AWSCURRENT") == op.args["to"] \
                and model.labels.get("AWSCURRENT") != op.args["to"]:
            model.move_label("AWSCURRENT", op.args["to"])
        elif op.kind == "tag" and tags.get(op.args["key"]) == op.args["value"]:
            model.tags[op.args["key"]] = op.args["value"]
        elif op.kind == "untag" and op.args["key"] not in tags:
            model.tags.pop(op.args["key"], None)
        elif op.kind == "dupcreate":
            pass
        else:
            return
        self.stats.add("unknown_applied")

    def check_alive(self, round_no, endpoint, race_name, race_ops, unknown_ops):
        client = self.client(endpoint)
        observed = self.observe(client)
        for name, entries in observed.items():
            if len(entries) > 1:
                self.violation(round_no, f"{name} exists {len(entries)} times")

        # The race for this round's shared name.
        acked = [op for op in race_ops if op.outcome == "ack"]
        refused = [op for op in race_ops if op.outcome == "refused"]
        unknown = [op for op in race_ops if op.outcome == "unknown"]
        entry = observed.get(race_name)
        model = SecretModel(race_name, None)
        if len(acked) > 1:
            self.violation(round_no, f"{len(acked)} racing CreateSecret {race_name} were all acknowledged")
        for op in refused:
            model.refused_tokens.add(op.args["token"])
            if op.detail != "ResourceExistsException":
                self.violation(round_no, f"racing CreateSecret {race_name} refused with {op.detail}")
        if entry:
            versions = entry[0][2]
            winners = [op for op in acked + unknown if op.args["token"] in versions]
            if acked and acked[0].args["token"] not in versions:
                self.violation(round_no, f"acknowledged CreateSecret {race_name} lost: store has {sorted(versions)}")
            if winners:
                model.apply_create(winners[0].args["token"], None)
            elif not acked:
                self.violation(round_no, f"{race_name} exists with versions {sorted(versions)} nobody created")
        elif acked:
            self.violation(round_no, f"acknowledged CreateSecret {race_name} is missing")
        if acked:
            model.acked = 1
        if model.exists or entry:
            self.secrets[race_name] = model
        self.stats.add("refused_writes", len(refused))

        for op in unknown_ops:
            self.resolve_unknown(op, observed)

        # Every secret, cumulatively: exactly the model.
        self.writes_verified = 0
        for name, model in self.secrets.items():
            entries = observed.get(name, [])
            if not model.exists:
                if entries:
                    # only a create of unknown outcome could explain it (resolved above)
                    self.violation(round_no, f"{name} exists but no create of it was acknowledged or pending")
                continue
            if not entries:
                self.violation(round_no, f"{name} was created (acknowledged) but is missing")
                continue
            _, tags, versions = entries[0]
            labels = {s: v for v, stages in versions.items() for s in stages if s in LABELS}
            problems = []
            lost = sorted(set(model.versions) - set(versions))
            extra = sorted(set(versions) - set(model.versions))
            if lost:
                problems.append(f"acknowledged versions lost: {lost}")
            if extra:
                problems.append(f"versions nobody wrote (or refused): {extra}")
            refused_present = sorted(model.refused_tokens & set(versions))
            if refused_present:
                problems.append(f"refused writes present: {refused_present}")
            if labels != model.labels:
                problems.append(f"labels {labels} != expected {model.labels}")
            if tags != model.tags:
                problems.append(f"tags {tags} != expected {model.tags}")
            if problems:
                self.violation(round_no, f"{name}: " + "; ".join(problems))
            else:
                self.writes_verified += model.acked

    # ---------------------------------------------------------------- the run

    def run(self):
        started = time.monotonic()
        self.tmp = Path(tempfile.mkdtemp(prefix="sejf-crash-"))
        # A private copy of the binary: a concurrent `swift build` must not swap it mid-run.
        private = self.tmp / "sejf"
        shutil.copy2(self.sejf, private)
        self.sejf = private
        self.data = self.tmp / "data"
        self.checkpoint_file = self.tmp / "checkpoint.jsonl"
        log = self.tmp / "server.log"
        report = json.loads(self.sejf_cli("init", "--environments", "dev", "--output", "json").stdout)
        self.key_id, self.secret_key = report["AccessKeyId"], report["SecretAccessKey"]
        kills = 0
        server = None
        try:
            server = Server(self.sejf, self.data, log)
            for round_no in range(1, self.args.kills + 1):
                since = datetime.now(timezone.utc)
                stop = threading.Event()
                race_name = self.new_name(f"race{round_no}")
                race_ops, unknown_ops, errors = [], [], []
                threads = [threading.Thread(target=self.worker, daemon=True,
                                            args=(cid, server.endpoint, round_no, stop, race_name, race_ops,
                                                  unknown_ops, errors))
                           for cid in range(self.args.clients)]
                for t in threads:
                    t.start()
                time.sleep(self.rng.uniform(self.args.min_load, self.args.max_load))
                server.kill9()
                kills += 1
                stop.set()
                for t in threads:
                    t.join(timeout=60)
                for e in errors:
                    self.violation(round_no, e)
                self.check_dead(round_no, since)
                server = Server(self.sejf, self.data, log)
                self.check_alive(round_no, server.endpoint, race_name, race_ops, unknown_ops)
                if not self.args.quiet:
                    print(f"kill {round_no}/{self.args.kills}: {len(self.secrets)} secrets, "
                          f"{self.writes_verified} writes / {self.reads_verified} reads verified, "
                          f"{len(unknown_ops)} unknown, {len(self.violations)} violations "
                          f"({time.monotonic() - started:.0f}s)", flush=True)
            status = server.stop()
            server = None
            if status != 0:
                self.violation(kills, f"server exited {status} on SIGTERM")
        except Violation as error:
            self.violation(kills, str(error))
        finally:
            if server is not None and server.process.poll() is None:
                server.kill9()
        duration = time.monotonic() - started
        summary = {
            "seed": self.args.seed, "clients": self.args.clients, "kills_requested": self.args.kills,
            "kills_survived": kills if not self.violations else None, "kills": kills,
            "acknowledged_writes_verified": self.writes_verified, "reads_verified": self.reads_verified,
            "secrets": len(self.secrets), "violations": self.violations,
            "duration_seconds": round(duration, 1), "data": str(self.data) if (self.violations or self.args.keep) else None,
            "counts": dict(sorted(self.stats.counts.items())),
        }
        if not self.violations and not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sejf", default=str(DEFAULT_SEJF))
    parser.add_argument("--json", dest="json_out", default=None, help="write the summary as JSON to this file")
    parser.add_argument("--min-load", type=float, default=0.3, help="least seconds of load before a kill")
    parser.add_argument("--max-load", type=float, default=2.5, help="most seconds of load before a kill")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.randrange(1 << 32)
    if not Path(args.sejf).exists():
        parser.error(f"{args.sejf} does not exist: run `swift build` first")
    summary = Harness(args).run()
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=2) + "\n")
    verdict = "OK" if not summary["violations"] else f"FAILED ({len(summary['violations'])} violations, data kept in {summary['data']})"
    survived = "kills survived" if not summary["violations"] else "kills done"
    print(f"crash harness {verdict}: {summary['kills']}/{args.kills} {survived}, "
          f"{summary['acknowledged_writes_verified']} acknowledged writes verified, "
          f"{summary['reads_verified']} reads verified, {summary['secrets']} secrets, "
          f"seed {args.seed}, {args.clients} clients, {summary['duration_seconds']}s")
    return 0 if not summary["violations"] else 1


if __name__ == "__main__":
    sys.exit(main())
