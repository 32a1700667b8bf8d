"""Access files: schemas/access.schema.json against the shipped examples/access.yaml and bad documents.

The schema and `sejf apply` (Sources/sejf/Access/AccessFile.swift, which checks the same rules with
line numbers) must agree: the good document passes both, and each bad document is refused by both.
The `sejf apply` half runs the built debug binary; `scripts/test.sh` builds it before these tests.
Tests/SejfCLITests/AccessTests.swift covers apply's messages and the shipped example in detail.
"""

import copy
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "schemas" / "access.schema.json"
EXAMPLE_PATH = REPO / "examples" / "access.yaml"
SEJF = REPO / ".build" / "debug" / "sejf"

GOOD = {
    "principals": [{"name": "api-prod", "description": "The API in prod."}, {"name": "ci.deployer@example.com"}],
    "roles": [
        {
            "name": "db-reader",
            "rules": [
                {"actions": ["secretsmanager:GetSecretValue", "secretsmanager:Describe*"], "secrets": ["db/*"]},
                {"effect": "deny", "actions": ["*"], "secrets": ["arn:aws:secretsmanager:prod:*:secret:root/*"]},
                {"actions": ["SecretsManager:Get*"], "secrets": ["*"], "tags": {"sejf:kind": "config", "team": ""}},
            ],
        }
    ],
    "bindings": [{"name": "db-reader-prod", "role": "db-reader", "principals": ["api-prod", "*"], "environments": ["prod", "*"]}],
}


DELETE = object()


def edited(path, value):
    """GOOD with the value at `path` (keys and indexes) replaced, or removed when value is DELETE."""
    document = copy.deepcopy(GOOD)
    target = document
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


RULE = ("roles", 0, "rules", 0)
BINDING = ("bindings", 0)

# (id, document)
BAD_DOCUMENTS = [
    ("empty", {}),
    ("unknown-top-level-field", {**GOOD, "version": 1}),
    ("unknown-rule-field", edited(RULE + ("resources",), ["db/*"])),
    ("unknown-binding-field", edited(BINDING + ("namespace",), "shop")),
    ("roles-not-a-list", {"roles": {"name": "x"}}),
    ("actions-a-string", edited(RULE + ("actions",), "secretsmanager:GetSecretValue")),
    ("actions-empty", edited(RULE + ("actions",), [])),
    ("action-without-service", edited(RULE + ("actions",), ["GetSecretValue"])),
    ("action-of-another-service", edited(RULE + ("actions",), ["s3:GetObject"])),
    ("action-with-space", edited(RULE + ("actions",), ["secretsmanager:Get Secret"])),
    ("effect-not-allow-or-deny", edited(RULE + ("effect",), "Allow")),
    ("secrets-missing", edited(RULE + ("secrets",), DELETE)),
    ("secret-pattern-with-space", edited(RULE + ("secrets",), ["db /*"])),
    ("secret-pattern-too-long", edited(RULE + ("secrets",), ["a" * 513])),
    ("tag-value-not-a-string", edited(RULE + ("tags",), {"sejf:kind": 1})),
    ("tag-key-with-bang", edited(RULE + ("tags",), {"kind!": "config"})),
    ("rules-empty", edited(("roles", 0, "rules"), [])),
    ("role-name-upper-case", edited(("roles", 0, "name"), "DB-Reader")),
    ("role-name-too-long", edited(("roles", 0, "name"), "a" * 65)),
    ("role-name-built-in", edited(("roles", 0, "name"), "reader")),
    ("role-description-too-long", edited(("roles", 0, "description"), "x" * 1001)),
    ("principal-name-with-space", edited(("principals", 0, "name"), "api prod")),
    ("principal-name-a-number", edited(("principals", 0, "name"), 123)),
    ("principal-without-name", edited(("principals", 0, "name"), DELETE)),
    ("binding-without-environments", edited(BINDING + ("environments",), DELETE)),
    ("binding-environment-upper-case", edited(BINDING + ("environments",), ["Prod"])),
    ("binding-principals-empty", edited(BINDING + ("principals",), [])),
    ("binding-role-with-underscore", edited(BINDING + ("role",), "db_reader")),
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
    assert schema["$id"] == "https://sejf.dev/schemas/access.schema.json"


def test_every_object_refuses_unknown_fields():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    objects = [schema] + [d for d in schema["$defs"].values() if d.get("type") == "object"]
    for definition in objects:
        if "propertyNames" in definition:  # tags: free keys by design, constrained by their pattern
            continue
        assert definition.get("additionalProperties") is False, definition.get("title", definition)


def test_example_matches_schema(validator):
    document = yaml.safe_load(EXAMPLE_PATH.read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


def test_example_covers_the_platform():
    document = yaml.safe_load(EXAMPLE_PATH.read_text(encoding="utf-8"))
    principals = {p["name"] for p in document["principals"]}
    assert principals == {"api-dev", "api-staging", "api-prod", "ci-deployer", "auditor"}
    roles = {r["name"]: r for r in document["roles"]}
    assert {"api-runtime", "release-rotator"} <= roles.keys()
    assert any(rule.get("effect") == "deny" for role in roles.values() for rule in role["rules"])
    bound = {b["role"] for b in document["bindings"]}
    assert roles.keys() <= bound, "every role of the example is bound"
    for binding in document["bindings"]:
        assert binding["role"] in roles or binding["role"] in {"admin", "reader", "writer", "config-reader"}
        assert set(binding["principals"]) <= principals | {"*"}
        assert set(binding["environments"]) <= {"dev", "staging", "prod", "*"}


def test_good_document_matches_schema(validator):
    assert [e.message for e in validator.iter_errors(GOOD)] == []


@pytest.mark.parametrize("document", [d for _, d in BAD_DOCUMENTS], ids=[i for i, _ in BAD_DOCUMENTS])
def test_schema_rejects_bad_document(validator, document):
    assert not validator.is_valid(document)


def run_sejf(*args):
    return subprocess.run([str(SEJF), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    if not SEJF.is_file():
        pytest.fail(f"{SEJF} does not exist: run `swift build` first (scripts/test.sh does)", pytrace=False)
    data = tmp_path_factory.mktemp("access") / "data"
    init = run_sejf("init", "--data", str(data), "--environments", "dev,staging,prod")
    assert init.returncode == 0, init.stderr
    return data


def roles_and_bindings(data):
    roles = run_sejf("role", "list", "--data", str(data), "--output", "json")
    bindings = run_sejf("role", "bindings", "--data", str(data), "--output", "json")
    assert roles.returncode == 0 and bindings.returncode == 0, roles.stderr + bindings.stderr
    return json.loads(roles.stdout), json.loads(bindings.stdout)


@pytest.mark.parametrize("document", [d for _, d in BAD_DOCUMENTS], ids=[i for i, _ in BAD_DOCUMENTS])
def test_apply_rejects_bad_document(tmp_path, data_dir, document):
    before = roles_and_bindings(data_dir)
    file = tmp_path / "access.yaml"
    file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    result = run_sejf("apply", "-f", str(file), "--data", str(data_dir))

    assert result.returncode == 1, f"sejf apply accepted {document}: {result.stdout}"
    assert result.stdout == ""
    stderr = result.stderr.strip()
    assert "\n" not in stderr and stderr.startswith("sejf: error: "), stderr
    assert f"{file}:" in stderr, f"error does not name the file: {stderr!r}"
    assert roles_and_bindings(data_dir) == before, "a refused file changed something"


def test_apply_accepts_good_document_and_example(tmp_path, data_dir):
    for document in (GOOD, yaml.safe_load(EXAMPLE_PATH.read_text(encoding="utf-8"))):
        file = tmp_path / "access.yaml"
        file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        first = run_sejf("apply", "-f", str(file), "--data", str(data_dir), "--output", "json")
        assert first.returncode == 0, first.stderr
        again = run_sejf("apply", "-f", str(file), "--data", str(data_dir), "--output", "json")
        assert again.returncode == 0, again.stderr
        assert {c["change"] for c in json.loads(again.stdout)} == {"unchanged"}
