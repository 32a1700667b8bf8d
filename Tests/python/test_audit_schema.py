"""The audit export format: schemas/audit-event.schema.json against example `sejf audit export` lines.

The lines Swift actually writes are validated against the schema by
Tests/SejfCoreTests/AuditSchemaTests.swift; here the schema itself is checked to accept the lines
Sejf writes and to refuse lines it never writes.
"""

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "schemas" / "audit-event.schema.json"

# As AuditExport.line writes them: sorted keys, every key present, one object per line.
GOOD_LINES = [
    # An allowed read through the AWS API.
    '{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","action":"secretsmanager:GetSecretValue","environment":"prod",'
    '"errorCode":null,"hash":"5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",'
    '"outcome":"allowed","principal":"api","requestId":"2c1d6a4e-8f1b-4c1e-9a55-0e8f4d1c2b3a",'
    '"secretArn":"arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf",'
    '"sequence":42,"sourceAddress":"10.0.3.7","time":"2026-11-01T10:00:00.123Z",'
    '"userAgent":"Boto3/1.43.11 Python/3.12","versionId":"7a2b4c6d-0000-4000-8000-000000000001",'
    '"versionStages":["AWSCURRENT"]}',
    # A failed authentication naming a known key: no principal, no secret.
    '{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","action":"sejf:Authenticate","environment":"prod",'
    '"errorCode":"IncompleteSignatureException","hash":"00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff",'
    '"outcome":"denied","principal":"","requestId":"4f1c","secretArn":null,"sequence":43,'
    '"sourceAddress":"203.0.113.9","time":"2026-11-01T10:00:01.007Z","userAgent":"curl/8.5.0",'
    '"versionId":null,"versionStages":[]}',
    # The embedded CLI: no access key; an error outcome.
    '{"accessKeyId":null,"action":"secretsmanager:PutSecretValue","environment":"dev",'
    '"errorCode":"ResourceNotFoundException","hash":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",'
    '"outcome":"error","principal":"admin","requestId":"r-1","secretArn":null,"sequence":1,'
    '"sourceAddress":"local","time":"1970-01-01T00:00:00.000Z","userAgent":"sejf-cli \\"q\\" \\u00fc \\ud83d\\udd10",'
    '"versionId":null,"versionStages":["AWSPENDING","custom"]}',
]

BASE = json.loads(GOOD_LINES[0])
REMOVE = object()


def changed(**fields):
    document = copy.deepcopy(BASE)
    for key, value in fields.items():
        if value is REMOVE:
            del document[key]
        else:
            document[key] = value
    return document

# (id, document)
BAD_DOCUMENTS = [
    ("extra-field", changed(secretValue="hunter2")),
    ("missing-principal", changed(principal=REMOVE)),
    ("missing-nullable-field", changed(errorCode=REMOVE)),
    ("missing-hash", changed(hash=REMOVE)),
    ("sequence-zero", changed(sequence=0)),
    ("sequence-string", changed(sequence="42")),
    ("sequence-float", changed(sequence=42.5)),
    ("time-epoch-number", changed(time=1793527200.123)),
    ("time-without-milliseconds", changed(time="2026-11-01T10:00:00Z")),
    ("time-with-offset", changed(time="2026-11-01T10:00:00.123+00:00")),
    ("time-bad-month", changed(time="2026-13-01T10:00:00.123Z")),
    ("outcome-unknown", changed(outcome="maybe")),
    ("outcome-capitalised", changed(outcome="Allowed")),
    ("hash-upper-case", changed(hash=BASE["hash"].upper())),
    ("hash-short", changed(hash=BASE["hash"][:62])),
    ("stages-not-strings", changed(versionStages=[1])),
    ("stages-null", changed(versionStages=None)),
    ("principal-null", changed(principal=None)),
    ("not-an-object", ["allowed"]),
]


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_schema_is_valid_draft_2020_12():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://sejf.dev/schemas/audit-event.schema.json"
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == sorted(schema["properties"])


@pytest.mark.parametrize("line", GOOD_LINES, ids=["read", "failed-authentication", "embedded-cli-error"])
def test_export_line_matches_schema(validator, line):
    assert "\n" not in line
    document = json.loads(line)
    assert list(document) == sorted(document), "keys are written sorted"
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize("document", [d for _, d in BAD_DOCUMENTS], ids=[i for i, _ in BAD_DOCUMENTS])
def test_schema_rejects_bad_line(validator, document):
    assert not validator.is_valid(document)
