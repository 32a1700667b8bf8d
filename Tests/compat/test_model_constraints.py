"""A bad-input sweep driven by the botocore service model `secretsmanager`.

For every operation and every input member (recursively, through structures and list items), the
model's declared constraints are turned into requests that break exactly one of them, sent as raw
SigV4-signed JSON bodies:

- a required member missing (and `null`),
- the wrong JSON type (a number where a string is expected, a string where a list is, …),
- a string or blob one shorter than `min` / one longer than `max` (and, as controls, exactly at
  `min` and `max`, which must NOT be a length error),
- an integer one below `min` / one above `max` (controls: exactly at the limits),
- a list with fewer than `min` / more than `max` items (controls: exactly at the limits),
- an enum value outside the set,
- a string that fails the `pattern` (checked here with Python's `re`).

Each violation is applied to a minimal VALID body of its operation (one per "variant" where
members exclude each other, e.g. `SecretString` vs `SecretBinary`), and `test_base_body_is_accepted`
shows that body on its own is accepted, so the violation is what makes the request fail.

Every violating request must get HTTP 400, a JSON body whose `__type` is a validation-style
error, and an `x-amzn-RequestId` header. It must also write nothing: for mutating operations the
fixture secret the violations are sent to is read back after each rejected request, and once more
after the whole sweep (`test_rejected_requests_wrote_nothing`).

Last come hostile bodies for every operation (10,000-deep JSON, 1e400, duplicate keys, unknown
members, 1 MiB strings): no 5xx, no dropped connection.
"""
import base64
import copy
import json
import random
import re
import string
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import botocore.session
import pytest
import requests

from conftest import make_client
from test_wire import send, signed

MODEL = botocore.session.get_session().get_service_model("secretsmanager")
OPERATIONS = sorted(MODEL.operation_names)
RUN = f"mc{time.time_ns()}"

# What a request that breaks a model constraint may answer with.
VALIDATION_TYPES = {"ValidationException", "InvalidParameterException", "InvalidRequestException", "SerializationException"}
POLICY_TYPES = {"PublicPolicyException", "MalformedPolicyDocumentException"}

# Cases where a business rule legitimately comes before the model check, so the answer may be
# ResourceNotFoundException: {(operation, member path, violation): why}. Empty: with the fixture
# secrets in place every violation reaches the model checks.
RESOURCE_NOT_FOUND_FIRST: dict[tuple[str, str, str], str] = {}

# Where Sejf knowingly departs from a model pattern: the valid value the base body has to use does
# not itself match the pattern. {shape name: why}.
PATTERN_DEVIATIONS = {
    "RegionType": "Sejf's regions are its environment names (dev, staging, prod); the model pattern "
                  "^([a-z]+-)+\\d+$ (AWS region names such as us-east-1) rejects them, so the base body's "
                  "'prod' does not match it. Violations are still built to fail the pattern.",
}

MUTATING = {"CreateSecret", "PutSecretValue", "UpdateSecret", "UpdateSecretVersionStage", "DeleteSecret", "RestoreSecret",
            "TagResource", "UntagResource", "RotateSecret", "CancelRotateSecret", "PutResourcePolicy",
            "DeleteResourcePolicy", "ReplicateSecretToRegions", "RemoveRegionsFromReplication", "StopReplicationToReplica"}

LAMBDA_ARN = "sejf:random"  # a rotator Sejf knows: Lambda ARNs are refused (no Lambda runs here)
ROLE_ARN = "arn:aws:iam::123456789012:role/rotation"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/api"},
    "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def token() -> str:
    return str(uuid.uuid4())


_names = {"n": 0}


def fresh_name(length=None) -> str:
    """A CreateSecret name no other request uses; exactly `length` characters when given."""
    _names["n"] += 1
    name = f"{RUN}/create/{_names['n']}"
    if length is None:
        return name
    if length < len(name):
        return "".join(random.choices(string.ascii_letters, k=length))
    return name + "x" * (length - len(name))


def list_token(sort_by="created-date", descending=False, after_value=-1.0, after_name=""):
    """A ListSecrets (and filtered BatchGetSecretValue) NextToken as Sejf issues it
    (`SecretListOrder.token`): the order it is for, and the position the page starts after. The
    defaults start before every secret in the default order."""
    body = {"sortBy": sort_by, "descending": descending, "after": {"value": after_value, "name": after_name}}
    return "sejf-list-" + base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


# --- Base bodies -------------------------------------------------------------------------------
# BASES[operation][variant](secret) → a valid body. `secret` is {"name", "arn", "v1"} of a fixture
# secret prepared for that operation (see `world`); `v1` is the id of its first version.

BASES: dict[str, dict[str, Callable[[dict], dict]]] = {
    "BatchGetSecretValue": {
        "default": lambda s: {"SecretIdList": [s["name"]]},
        "filters": lambda s: {"Filters": [{"Key": "name", "Values": [s["name"]]}], "MaxResults": 20, "NextToken": list_token()},
    },
    "CancelRotateSecret": {"default": lambda s: {"SecretId": s["name"]}},
    "CreateSecret": {
        "default": lambda s: {"Name": fresh_name(), "ClientRequestToken": token(), "Description": "created by the sweep",
                              "KmsKeyId": "alias/sejf", "SecretString": "value", "Tags": [{"Key": "team", "Value": "api"}],
                              "Type": "generic"},
        "binary": lambda s: {"Name": fresh_name(), "SecretBinary": b64(b"\x00\x01binary")},
        "replica": lambda s: {"Name": fresh_name(), "SecretString": "value",
                              "AddReplicaRegions": [{"Region": "prod", "KmsKeyId": "alias/replica"}],
                              "ForceOverwriteReplicaSecret": False},
    },
    "DeleteResourcePolicy": {"default": lambda s: {"SecretId": s["name"]}},
    "DeleteSecret": {
        "default": lambda s: {"SecretId": s["name"], "RecoveryWindowInDays": 7},
        "force": lambda s: {"SecretId": s["name"], "ForceDeleteWithoutRecovery": True},
    },
    "DescribeSecret": {"default": lambda s: {"SecretId": s["name"]}},
    "GetRandomPassword": {"default": lambda s: {
        "PasswordLength": 32, "ExcludeCharacters": "\"'\\", "ExcludeNumbers": False, "ExcludePunctuation": False,
        "ExcludeUppercase": False, "ExcludeLowercase": False, "IncludeSpace": False, "RequireEachIncludedType": True}},
    "GetResourcePolicy": {"default": lambda s: {"SecretId": s["name"]}},
    "GetSecretValue": {"default": lambda s: {"SecretId": s["name"], "VersionId": s["v1"], "VersionStage": "AWSCURRENT"}},
    "ListSecretVersionIds": {"default": lambda s: {"SecretId": s["name"], "MaxResults": 10, "NextToken": "sejf-page-0",
                                                   "IncludeDeprecated": True}},
    # ("~" sorts after every character a name may hold: the page starts before every secret.)
    "ListSecrets": {"default": lambda s: {"IncludePlannedDeletion": True, "MaxResults": 10,
                                          "NextToken": list_token("name", descending=True, after_value=0, after_name="~"),
                                          "Filters": [{"Key": "name", "Values": [s["name"]]}], "SortOrder": "desc",
                                          "SortBy": "name"}},
    "PutResourcePolicy": {"default": lambda s: {"SecretId": s["name"], "ResourcePolicy": POLICY, "BlockPublicPolicy": True}},
    "PutSecretValue": {
        "default": lambda s: {"SecretId": s["name"], "ClientRequestToken": token(), "SecretString": "value",
                              "VersionStages": ["mc-stage"], "RotationToken": token()},
        "binary": lambda s: {"SecretId": s["name"], "SecretBinary": b64(b"\x00\x01binary")},
    },
    "RemoveRegionsFromReplication": {"default": lambda s: {"SecretId": s["name"], "RemoveReplicaRegions": ["prod"]}},
    "ReplicateSecretToRegions": {"default": lambda s: {
        "SecretId": s["name"], "AddReplicaRegions": [{"Region": "prod", "KmsKeyId": "alias/replica"}],
        "ForceOverwriteReplicaSecret": False}},
    "RestoreSecret": {"default": lambda s: {"SecretId": s["name"]}},
    "RotateSecret": {
        "default": lambda s: {"SecretId": s["name"], "ClientRequestToken": token(), "RotationLambdaARN": LAMBDA_ARN,
                              "RotationRules": {"AutomaticallyAfterDays": 30}, "RotateImmediately": False,
                              "ExternalSecretRotationMetadata": [{"Key": "k", "Value": "v"}],
                              "ExternalSecretRotationRoleArn": ROLE_ARN},
        "schedule": lambda s: {"SecretId": s["name"], "RotationLambdaARN": LAMBDA_ARN,
                               "RotationRules": {"ScheduleExpression": "rate(10 days)", "Duration": "3h"}},
    },
    "StopReplicationToReplica": {"default": lambda s: {"SecretId": s["name"]}},
    "TagResource": {"default": lambda s: {"SecretId": s["name"], "Tags": [{"Key": "team", "Value": "api"}]}},
    "UntagResource": {"default": lambda s: {"SecretId": s["name"], "TagKeys": ["team"]}},
    "UpdateSecret": {
        "default": lambda s: {"SecretId": s["name"], "ClientRequestToken": token(), "Description": "updated",
                              "KmsKeyId": "alias/sejf", "SecretString": "updated value", "Type": "generic"},
        "binary": lambda s: {"SecretId": s["name"], "SecretBinary": b64(b"\x00\x01binary")},
    },
    # The label sits on v1 (set up by the fixture): remove it from v1 and move it to v1, a no-op move.
    "UpdateSecretVersionStage": {"default": lambda s: {"SecretId": s["name"], "VersionStage": "mc-label",
                                                       "RemoveFromVersionId": s["v1"], "MoveToVersionId": s["v1"]}},
    "ValidateResourcePolicy": {"default": lambda s: {"SecretId": s["name"], "ResourcePolicy": POLICY}},
}

# Which variant a member's cases use, by (operation, top-level member) or (operation, path prefix);
# anything else uses "default".
VARIANT_OF = {
    ("BatchGetSecretValue", "Filters"): "filters", ("BatchGetSecretValue", "MaxResults"): "filters",
    ("BatchGetSecretValue", "NextToken"): "filters",
    ("CreateSecret", "SecretBinary"): "binary", ("CreateSecret", "AddReplicaRegions"): "replica",
    ("CreateSecret", "ForceOverwriteReplicaSecret"): "replica",
    ("DeleteSecret", "ForceDeleteWithoutRecovery"): "force",
    ("PutSecretValue", "SecretBinary"): "binary", ("UpdateSecret", "SecretBinary"): "binary",
    ("RotateSecret", "RotationRules.Duration"): "schedule", ("RotateSecret", "RotationRules.ScheduleExpression"): "schedule",
}


def variant_for(op, path):
    dotted = path_str(path)
    return VARIANT_OF.get((op, dotted), VARIANT_OF.get((op, path[0]), "default"))


# --- Cases from the model ------------------------------------------------------------------------

DELETE = object()


@dataclass(frozen=True)
class Case:
    op: str
    path: tuple
    kind: str
    make: Callable[[dict], Any]   # base body → the value to put at `path` (or DELETE)
    control: bool = False         # a value exactly at a limit: must not be a constraint error
    shape: str = ""
    pattern: str = ""

    @property
    def member(self):
        return path_str(self.path)

    @property
    def variant(self):
        return variant_for(self.op, self.path)

    @property
    def id(self):
        return f"{self.op}.{self.member}:{self.kind}"


def path_str(path):
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (("." if out else "") + step)
    return out


def get_at(body, path):
    for step in path:
        body = body[step]
    return body


def set_at(body, path, value):
    body = copy.deepcopy(body)
    node = body
    for step in path[:-1]:
        node = node[step]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return body


def const(value):
    return lambda base: value if value is DELETE else copy.deepcopy(value)


def string_of_length(shape, n):
    """A string of exactly `n` characters that keeps the shape's pattern (when one can), so only
    the length is wrong."""
    if shape.name == "NameType":
        return fresh_name(n) if n else ""
    if shape.name == "RegionType" and n >= 3:
        return "a" * (n - 2) + "-1"
    if shape.name == "DurationType" and n >= 2:
        return "1" * (n - 1) + "h"
    if shape.name == "NextTokenType" and n >= 11:
        # ListSecretVersionIds' offset token, padded with leading zeros (ListSecrets' tokens
        # cannot be padded: it answers InvalidNextTokenException, which is no constraint error)
        return "sejf-page-" + "0" * (n - 10)
    if shape.name == "NonEmptyResourcePolicyType" and n >= len(POLICY):
        return POLICY + " " * (n - len(POLICY))  # a valid policy padded with JSON whitespace
    return "a" * n


def list_of_length(path, n):
    """`n` items cloned from the base body's first item (strings made distinct: labels must be)."""
    def make(base):
        first = get_at(base, path + (0,))
        if isinstance(first, str) and path[-1] != "SecretIdList":
            return [f"{first}{i}" if i else first for i in range(n)]
        return [copy.deepcopy(first) for _ in range(n)]
    return make


WRONG_TYPES = {
    "string": {"type_number": 12, "type_boolean": True, "type_list": ["a"], "type_object": {"a": "b"}},
    "blob": {"type_number": 12, "type_boolean": True, "type_list": [1, 2], "type_object": {}, "blob_not_base64": "not*base64!"},
    "integer": {"type_string": "12", "type_boolean": True, "type_list": [1], "type_object": {"a": 1}, "type_fraction": 1.5,
                "int64_overflow": 2 ** 63, "int64_underflow": -(2 ** 63) - 1},
    "boolean": {"type_string": "true", "type_number": 1, "type_list": [True], "type_object": {}},
    "list": {"type_string": "x", "type_number": 12, "type_boolean": True, "type_object": {"a": 1}},
    "structure": {"type_string": "x", "type_number": 12, "type_boolean": True, "type_list": []},
}
WRONG_TYPES["long"] = WRONG_TYPES["integer"]

# Values that break a pattern while keeping the length constraint (checked in
# `test_pattern_violations_really_violate`).
PATTERN_BREAKERS = {
    "FilterValueStringType": {"pattern_percent": "bad%value", "pattern_non_ascii": "zażółć"},
    "RegionType": {"pattern_upper_case": "PROD-1", "pattern_underscore": "us_east_1"},
    "RotationTokenType": {"pattern_punctuation": "a" * 35 + "!", "pattern_space": "a" * 20 + " " + "a" * 20},
    "DurationType": {"pattern_no_digit": "hh", "pattern_unit": "3d"},
    "ScheduleExpressionType": {"pattern_symbols": "$$$", "pattern_non_ascii": "ąę"},
}


def cases_for_member(op, path, shape, required):
    kind = shape.type_name
    meta = shape.metadata
    if required:
        yield Case(op, path, "required_missing", const(DELETE))
        yield Case(op, path, "required_null", const(None))
    for name, value in WRONG_TYPES.get(kind, {}).items():
        yield Case(op, path, name, const(value))

    if kind == "string":
        lo, hi = meta.get("min"), meta.get("max")
        if lo:  # min 0 cannot be broken
            yield Case(op, path, f"len_{lo - 1}_below_min", lambda b, n=lo - 1: string_of_length(shape, n))
            yield Case(op, path, f"len_{lo}_at_min", lambda b, n=lo: string_of_length(shape, n), control=True)
        if hi is not None:
            yield Case(op, path, f"len_{hi}_at_max", lambda b, n=hi: string_of_length(shape, n), control=True)
            yield Case(op, path, f"len_{hi + 1}_above_max", lambda b, n=hi + 1: string_of_length(shape, n))
        if shape.enum:
            yield Case(op, path, "enum_unknown", const("not-in-the-enum"))
            yield Case(op, path, "enum_wrong_case", const(shape.enum[0].upper()))
        if "pattern" in meta:
            for name, value in PATTERN_BREAKERS[shape.name].items():
                yield Case(op, path, name, const(value), shape=shape.name, pattern=meta["pattern"])
    elif kind == "blob":
        lo, hi = meta.get("min"), meta.get("max")
        if lo:
            yield Case(op, path, f"bytes_{lo - 1}_below_min", lambda b, n=lo - 1: b64(b"\x01" * n))
            yield Case(op, path, f"bytes_{lo}_at_min", lambda b, n=lo: b64(b"\x01" * n), control=True)
        if hi is not None:
            yield Case(op, path, f"bytes_{hi}_at_max", lambda b, n=hi: b64(b"\x01" * n), control=True)
            yield Case(op, path, f"bytes_{hi + 1}_above_max", lambda b, n=hi + 1: b64(b"\x01" * n))
    elif kind in ("integer", "long"):
        lo, hi = meta.get("min"), meta.get("max")
        if lo is not None:
            yield Case(op, path, f"value_{lo - 1}_below_min", const(lo - 1))
            yield Case(op, path, f"value_{lo}_at_min", const(lo), control=True)
        if hi is not None:
            yield Case(op, path, f"value_{hi}_at_max", const(hi), control=True)
            yield Case(op, path, f"value_{hi + 1}_above_max", const(hi + 1))
    elif kind == "list":
        lo, hi = meta.get("min"), meta.get("max")
        if lo:
            yield Case(op, path, f"items_{lo - 1}_below_min", list_of_length(path, lo - 1))
            yield Case(op, path, f"items_{lo}_at_min", list_of_length(path, lo), control=True)
        if hi is not None:
            yield Case(op, path, f"items_{hi}_at_max", list_of_length(path, hi), control=True)
            yield Case(op, path, f"items_{hi + 1}_above_max", list_of_length(path, hi + 1))
        yield from cases_for_member(op, path + (0,), shape.member, required=False)
    elif kind == "structure":
        for name, member in shape.members.items():
            yield from cases_for_member(op, path + (name,), member, required=name in shape.required_members)


def all_cases():
    cases = []
    for op in OPERATIONS:
        shape = MODEL.operation_model(op).input_shape
        for name, member in shape.members.items():
            cases.extend(cases_for_member(op, (name,), member, required=name in shape.required_members))
    return cases


CASES = all_cases()
VIOLATIONS = [c for c in CASES if not c.control]
CONTROLS = [c for c in CASES if c.control]
PATTERN_CASES = [c for c in CASES if c.pattern]
VARIANTS = [(op, variant) for op in OPERATIONS for variant in BASES[op]]


# --- Talking to the server -------------------------------------------------------------------------

def call(installation, op, body, region="dev"):
    """Sends `body` (an object, or raw bytes) as a signed request; a dropped connection fails
    the test with a readable message."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        return send(installation, signed(installation, target=op, body=raw, region=region))
    except requests.RequestException as error:  # pragma: no cover - only on a server failure
        pytest.fail(f"{op}: no HTTP answer ({type(error).__name__}: {error}) for a body of {len(raw)} bytes")


def describe(response):
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}, body not JSON: {response.text[:200]!r}"
    if isinstance(data, dict) and "__type" in data:
        return f"HTTP {response.status_code} {data['__type']}: {str(data.get('message'))[:200]}"
    return f"HTTP {response.status_code}: {response.text[:200]}"


def error_type(response):
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get("__type") if isinstance(data, dict) else None


def is_constraint_error(response):
    """Whether the answer says a model constraint (length, range, size, type) was broken."""
    kind = error_type(response)
    return response.status_code == 413 or kind in ("ValidationException", "SerializationException")


# --- Fixtures ---------------------------------------------------------------------------------------

SETUP = {}  # filled by `world`: (op, variant, role) → {"name", "arn", "v1"}
STATE = {}  # (op, variant) → last known state of the "target" secret
INITIAL_STATE = {}
ACCEPTED_VIOLATIONS: dict[tuple[str, str], list[str]] = {}
REJECTED_CREATE_NAMES: set[str] = set()


def snapshot(installation, secret_name):
    """What a rejected request must not change: metadata, tags, description, labels, versions."""
    described = call(installation, "DescribeSecret", {"SecretId": secret_name})
    if described.status_code != 200:
        return {"__missing": describe(described)}
    state = described.json()
    state.pop("LastAccessedDate", None)
    versions = call(installation, "ListSecretVersionIds", {"SecretId": secret_name, "IncludeDeprecated": True}).json()
    state["AllVersions"] = sorted([v["VersionId"], sorted(v.get("VersionStages", []))] for v in versions.get("Versions", []))
    policy = call(installation, "GetResourcePolicy", {"SecretId": secret_name}).json()
    state["ResourcePolicy"] = policy.get("ResourcePolicy")
    return state


@pytest.fixture(scope="module")
def world(installation):
    """One secret per (operation, variant, role) in the state its operation needs. Role "base" gets
    the base body and the at-limit controls, "target" only violations (so it must never change),
    "hostile" the hostile bodies."""
    dev = make_client(installation, "dev")
    staging = make_client(installation, "staging")
    for op, variant in VARIANTS:
        for role in ("base", "target", "hostile"):
            if role == "hostile" and variant != "default":
                continue
            name = f"{RUN}/{op}/{variant}/{role}"
            v1 = token()
            client = staging if op == "StopReplicationToReplica" else dev
            created = client.create_secret(Name=name, SecretString="initial value", ClientRequestToken=v1,
                                           Description="fixture", Tags=[{"Key": "fixture", "Value": "yes"}])
            if op == "StopReplicationToReplica":
                staging.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "dev"}])
            elif op == "RemoveRegionsFromReplication":
                dev.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "prod"}])
            elif op == "RestoreSecret":
                dev.delete_secret(SecretId=name, RecoveryWindowInDays=7)
            elif op == "CancelRotateSecret":
                dev.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA_ARN, RotationRules={"AutomaticallyAfterDays": 30},
                                  RotateImmediately=False)
            elif op == "UpdateSecretVersionStage":
                dev.update_secret_version_stage(SecretId=name, VersionStage="mc-label", MoveToVersionId=v1)
            elif op in ("DeleteResourcePolicy", "GetResourcePolicy"):
                dev.put_resource_policy(SecretId=name, ResourcePolicy=POLICY)
            SETUP[(op, variant, role)] = {"name": name, "arn": created["ARN"], "v1": v1}
        if op in MUTATING and op != "CreateSecret":
            STATE[(op, variant)] = INITIAL_STATE[(op, variant)] = snapshot(installation, SETUP[(op, variant, "target")]["name"])
    return SETUP


def base_body(world, op, variant, role):
    return BASES[op][variant](world[(op, variant, role)])


# --- The sweep ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("op,variant", VARIANTS, ids=[f"{op}:{variant}" for op, variant in VARIANTS])
def test_base_body_is_accepted(installation, world, op, variant):
    """The valid body every violation starts from is accepted (HTTP 200) on an identically prepared
    secret, so a violation is what makes a request fail."""
    body = base_body(world, op, variant, "base")
    response = call(installation, op, body)
    assert response.status_code == 200, f"the base body {json.dumps(body)[:300]} was refused: {describe(response)}"


def test_every_model_member_is_covered():
    """Each input member of the model has cases, and each nested path exists in its base body."""
    stub = {"name": "n", "arn": "a", "v1": "v" * 36}
    missing = []
    for case in CASES:
        base = BASES[case.op][case.variant](stub)
        try:
            get_at(base, case.path[:-1])
        except (KeyError, IndexError):
            missing.append(case.id)
    assert not missing, missing
    covered = {(c.op, c.path[0]) for c in CASES}
    for op in OPERATIONS:
        for name in MODEL.operation_model(op).input_shape.members:
            assert (op, name) in covered


@pytest.mark.parametrize("case", PATTERN_CASES, ids=[c.id for c in PATTERN_CASES])
def test_pattern_violations_really_violate(world, case):
    """The pattern breakers fail the model's regex (even as an unanchored search) while keeping its
    length rule; the base body's valid value matches it (except documented deviations)."""
    bad = case.make({})
    assert re.search(case.pattern, bad) is None, f"{bad!r} matches {case.pattern}"
    shape = MODEL.operation_model(case.op).input_shape
    for step in case.path:
        shape = shape.member if isinstance(step, int) else shape.members[step]
    assert shape.metadata.get("min", 0) <= len(bad) <= shape.metadata.get("max", 1 << 30)
    valid = get_at(base_body(world, case.op, case.variant, "base"), case.path)
    if case.shape in PATTERN_DEVIATIONS:
        assert re.search(case.pattern, valid) is None, "deviation no longer needed?"
    else:
        assert re.search(case.pattern, valid), f"base value {valid!r} does not match {case.pattern}"


@pytest.mark.parametrize("case", VIOLATIONS, ids=[c.id for c in VIOLATIONS])
def test_violation_is_rejected(installation, world, case):
    base = base_body(world, case.op, case.variant, "target")
    body = set_at(base, case.path, case.make(base))
    response = call(installation, case.op, body)
    rejected = response.status_code == 400
    key = (case.op, case.variant)
    if not rejected:
        ACCEPTED_VIOLATIONS.setdefault(key, []).append(case.id)
    if case.op == "CreateSecret":
        name = body.get("Name")
        if rejected and isinstance(name, str) and 1 <= len(name) <= 512:
            REJECTED_CREATE_NAMES.add(name)
            for region in (["dev", "prod"] if case.variant == "replica" else ["dev"]):
                after = call(installation, "DescribeSecret", {"SecretId": name}, region=region)
                assert error_type(after) == "ResourceNotFoundException", \
                    f"rejected CreateSecret still created {name!r} in {region}: {describe(after)}"
    elif key in STATE:
        after = snapshot(installation, world[(case.op, case.variant, "target")]["name"])
        before, STATE[key] = STATE[key], after
        if rejected:
            assert after == before, f"a rejected request changed the secret: {diff(before, after)}"

    allowed = set(VALIDATION_TYPES)
    if case.path[0] == "ResourcePolicy":
        allowed |= POLICY_TYPES
    if (case.op, case.member, case.kind) in RESOURCE_NOT_FOUND_FIRST:
        allowed.add("ResourceNotFoundException")
    assert response.status_code == 400, f"expected HTTP 400, got {describe(response)}"
    assert error_type(response) in allowed, f"__type not in {sorted(allowed)}: {describe(response)}"
    assert response.headers.get("x-amzn-RequestId"), "no x-amzn-RequestId header"


@pytest.mark.parametrize("case", CONTROLS, ids=[c.id for c in CONTROLS])
def test_value_at_limit_is_not_a_constraint_error(installation, world, case):
    base = base_body(world, case.op, case.variant, "base")
    body = set_at(base, case.path, case.make(base))
    response = call(installation, case.op, body)
    assert response.status_code < 500, describe(response)
    assert response.headers.get("x-amzn-RequestId"), "no x-amzn-RequestId header"
    assert not is_constraint_error(response), f"a value exactly at the limit was refused: {describe(response)}"


def diff(before, after):
    keys = sorted(set(before) | set(after))
    return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


MUTATING_VARIANTS = [(op, v) for op, v in VARIANTS if op in MUTATING]


@pytest.mark.parametrize("op,variant", MUTATING_VARIANTS, ids=[f"{op}:{v}" for op, v in MUTATING_VARIANTS])
def test_rejected_requests_wrote_nothing(installation, world, op, variant):
    """After the sweep: the secret that only ever got violating requests is as the fixture left
    it (CreateSecret: no secret exists under a name only a rejected request used)."""
    accepted = ACCEPTED_VIOLATIONS.get((op, variant), [])
    if op == "CreateSecret":
        names, next_token = set(), None
        while True:
            listed = call(installation, "ListSecrets", {"Filters": [{"Key": "name", "Values": [f"{RUN}/create/"]}],
                                                        "IncludePlannedDeletion": True,
                                                        **({"NextToken": next_token} if next_token else {})})
            assert listed.status_code == 200, describe(listed)
            names |= {entry["Name"] for entry in listed.json()["SecretList"]}
            next_token = listed.json().get("NextToken")
            if not next_token:
                break
        created = sorted(names & REJECTED_CREATE_NAMES)
        assert not created, f"secrets created by rejected requests: {created}; accepted violations: {accepted or 'none'}"
        return
    now = snapshot(installation, world[(op, variant, "target")]["name"])
    changes = diff(INITIAL_STATE[(op, variant)], now)
    assert not changes, (f"the target secret changed during the sweep: {changes}; "
                         f"violations the server accepted (status != 400): {accepted or 'none'}")


# --- Hostile bodies ---------------------------------------------------------------------------------------

DEPTH = 10_000
NUMBER_MEMBER = {"BatchGetSecretValue": "MaxResults", "GetRandomPassword": "PasswordLength",
                 "ListSecretVersionIds": "MaxResults", "ListSecrets": "MaxResults", "DeleteSecret": "RecoveryWindowInDays"}
STRING_MEMBER = {"BatchGetSecretValue": ("SecretIdList", 0), "CreateSecret": ("Name",), "GetRandomPassword": ("ExcludeCharacters",),
                 "ListSecrets": ("Filters", 0, "Values", 0)}


def with_raw_member(body, raw_member):
    """The JSON text of `body` with `"name": <raw>` appended, `raw_member` being that text."""
    text = json.dumps(body)
    return (text[:-1] + (", " if body else "") + raw_member + "}").encode()


def duplicate_first_key(body):
    """The body's text with its first member given twice: first another value of the same type."""
    key, value = next(iter(body.items()))
    if isinstance(value, bool):
        other = not value
    elif isinstance(value, int):
        other = value + 1
    else:
        other = {str: "a", list: [], dict: {}}[type(value)]
    return ("{" + json.dumps(key) + ": " + json.dumps(other) + ", " + json.dumps(body)[1:]).encode()


HOSTILE = {
    "deep_object_unknown_member": lambda body, op: with_raw_member(body, '"Deep": ' + '{"a": ' * DEPTH + "1" + "}" * DEPTH),
    "deep_array_unknown_member": lambda body, op: with_raw_member(body, '"Deep": ' + "[" * DEPTH + "]" * DEPTH),
    "deep_array_top_level": lambda body, op: ("[" * DEPTH + "]" * DEPTH).encode(),
    "deep_object_in_member": lambda body, op: with_raw_member(
        {k: v for k, v in body.items() if k != STRING_MEMBER.get(op, ("SecretId",))[0]},
        json.dumps(STRING_MEMBER.get(op, ("SecretId",))[0]) + ": " + '{"a": ' * DEPTH + "1" + "}" * DEPTH),
    "number_1e400_unknown_member": lambda body, op: with_raw_member(body, '"Huge": 1e400, "Tiny": -1e400'),
    "number_1e400_in_member": lambda body, op: with_raw_member(
        {k: v for k, v in body.items() if k != NUMBER_MEMBER.get(op)}, json.dumps(NUMBER_MEMBER.get(op, "SecretId")) + ": 1e400"),
    "duplicate_keys_literal": lambda body, op: b'{"SecretId":"a","SecretId":"b"}',
    "duplicate_keys_in_base": lambda body, op: duplicate_first_key(body),
    # Just under the depth the server's JSON parser accepts (512): it gets through to the decoder.
    "deep_object_511_unknown_member": lambda body, op: with_raw_member(body, '"Deep": ' + '{"a": ' * 511 + "1" + "}" * 511),
    "unknown_members": lambda body, op: json.dumps({**body, "UnknownMember": "x", "secretid": "lower", "SECRETID": 1,
                                                    "Extra": {"Nested": [1, {"x": None}]}}).encode(),
}
HUGE = {
    "one_mib_string": 1 << 20,                       # the body is then over the 1 MiB limit: 413 is fine
    "near_one_mib_string": (1 << 20) - 16 * 1024,    # just under it: the length check must answer
}
# A policy document is JSON inside a string member, parsed by the server's policy parser.
POLICY_HOSTILE = {
    "deep_policy_array_10000": "[" * DEPTH + "]" * DEPTH,             # 20,000 characters: within the 20,480 limit
    "deep_policy_object_512": '{"a":' * 512 + "1" + "}" * 512,
    "policy_number_1e400": '{"Version": 1e400, "Statement": []}',
    "policy_duplicate_keys": json.dumps(json.loads(POLICY))[:-1] + ', "Statement": []}',
}
POLICY_OPERATIONS = [op for op in OPERATIONS if "ResourcePolicy" in MODEL.operation_model(op).input_shape.members]
HOSTILE_IDS = [(op, kind) for op in OPERATIONS for kind in list(HOSTILE) + list(HUGE)] + \
              [(op, kind) for op in POLICY_OPERATIONS for kind in POLICY_HOSTILE]


@pytest.mark.parametrize("op,kind", HOSTILE_IDS, ids=[f"{op}:{kind}" for op, kind in HOSTILE_IDS])
def test_hostile_body(installation, world, op, kind):
    base = base_body(world, op, "default", "hostile")
    if kind in HUGE:
        path = STRING_MEMBER.get(op, ("SecretId",))
        raw = json.dumps(set_at(base, path, "x" * HUGE[kind])).encode()
    elif kind in POLICY_HOSTILE:
        raw = json.dumps({**base, "ResourcePolicy": POLICY_HOSTILE[kind]}).encode()
    else:
        raw = HOSTILE[kind](base, op)
    response = call(installation, op, raw)
    assert response.status_code < 500, describe(response)
    assert response.headers.get("x-amzn-RequestId"), f"no x-amzn-RequestId header: {describe(response)}"
    if response.status_code != 200:
        assert 400 <= response.status_code < 500 and error_type(response), describe(response)
    if kind in POLICY_HOSTILE and response.status_code != 200:
        assert error_type(response) in VALIDATION_TYPES | POLICY_TYPES, describe(response)
    if kind in HUGE:  # a string of ~1 MiB breaks every string member's max length
        allowed = VALIDATION_TYPES | {"RequestEntityTooLargeException"}
        assert response.status_code in (400, 413) and error_type(response) in allowed, describe(response)
