"""Environment definitions: the shipped environments/*.yaml, the JSON Schema, and the Swift loader.

The schema (schemas/environment.schema.json) and the loader (EnvironmentDefinition.swift) must agree:
every shipped file passes both, and each bad document below is rejected by both. The loader half runs
the built debug binary; `scripts/test.sh` builds it before running these tests.
"""

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "schemas" / "environment.schema.json"
ENVIRONMENTS = REPO / "environments"
SEJF = REPO / ".build" / "debug" / "sejf"

SHIPPED = sorted(ENVIRONMENTS.glob("*.yaml"))

# (id, document, field the loader's error must name)
BAD_DOCUMENTS = [
    (
        "unknown-field",
        {"name": "extra", "kubernetes": {"namespace": "shop-extra"}, "apps": ["api"]},
        "apps",
    ),
    (
        "unknown-kubernetes-field",
        {"name": "cluster", "kubernetes": {"namespace": "shop-cluster", "cluster": "eu-1"}},
        "kubernetes.cluster",
    ),
    (
        "missing-namespace",
        {"name": "nonamespace", "kubernetes": {}},
        "kubernetes.namespace",
    ),
    (
        "bad-namespace",
        {"name": "badns", "kubernetes": {"namespace": "Shop_Prod"}},
        "kubernetes.namespace",
    ),
    (
        "namespace-too-long",
        {"name": "longns", "kubernetes": {"namespace": "a" * 64}},
        "kubernetes.namespace",
    ),
    (
        "name-too-long",
        {"name": "a" * 33, "kubernetes": {"namespace": "shop-long"}},
        "name",
    ),
]


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def require_binary():
    if not SEJF.is_file():
        pytest.fail(f"{SEJF} does not exist: run `swift build` first (scripts/test.sh does)", pytrace=False)


def run_sejf(*args):
    return subprocess.run([str(SEJF), *args], capture_output=True, text=True, timeout=120)


def test_schema_is_valid_draft_2020_12():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://sejf.dev/schemas/environment.schema.json"


def test_dev_staging_prod_are_shipped():
    assert [p.stem for p in SHIPPED] == ["dev", "prod", "staging"]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_definition_matches_schema(validator, path):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [e.message for e in validator.iter_errors(document)]
    assert errors == [], f"{path.name}: {errors}"
    assert document["name"] == path.stem, f"{path.name}: name is {document['name']!r}"


@pytest.mark.parametrize("document", [d for _, d, _ in BAD_DOCUMENTS], ids=[i for i, _, _ in BAD_DOCUMENTS])
def test_schema_rejects_bad_document(validator, document):
    assert not validator.is_valid(document)


@pytest.mark.parametrize("document,field", [(d, f) for _, d, f in BAD_DOCUMENTS], ids=[i for i, _, _ in BAD_DOCUMENTS])
def test_loader_rejects_bad_document(tmp_path, document, field):
    require_binary()
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    file = definitions / f"{document['name']}.yaml"
    file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    data = tmp_path / "data"

    result = run_sejf("init", "--data", str(data), "--definitions", str(definitions))

    assert result.returncode != 0, f"sejf init accepted {document}: {result.stdout}"
    stderr = result.stderr.strip()
    assert stderr, "sejf init failed without a message"
    assert "\n" not in stderr, f"error is not one line: {stderr!r}"
    assert file.name in stderr, f"error does not name the file: {stderr!r}"
    assert f"'{field}'" in stderr, f"error does not name the field {field}: {stderr!r}"
    assert not (data / "sejf.db").exists(), "a database was left behind after a failed init"


def test_loader_initialises_shipped_environments(tmp_path):
    require_binary()
    data = tmp_path / "data"

    init = run_sejf("init", "--data", str(data), "--definitions", str(ENVIRONMENTS), "--kdf", "interactive")
    assert init.returncode == 0, init.stderr
    assert (data / "sejf.db").is_file()

    listing = run_sejf("env", "list", "--data", str(data), "--output", "json")
    assert listing.returncode == 0, listing.stderr
    environments = json.loads(listing.stdout)

    expected = {}
    for path in SHIPPED:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        expected[document["name"]] = (document["kubernetes"]["namespace"], document.get("description", ""))
    assert sorted(e["name"] for e in environments) == ["dev", "prod", "staging"]
    assert {e["name"]: (e["namespace"], e["description"]) for e in environments} == expected
