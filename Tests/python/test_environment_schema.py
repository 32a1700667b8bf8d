"""Environment definitions: the shipped environments/*.yaml, the JSON Schema, and the Swift loader.

The schema (schemas/environment.schema.json) and the loader (EnvironmentDefinition.swift) must agree:
every shipped file passes both, each good document below is accepted by both, and each bad document
is rejected by both (the loader naming the file and the field). A few rules only the loader can check
(templates must parse, no two apps share a Kubernetes object) have their own cases. The loader half
runs the built debug binary; `scripts/test.sh` builds it before running these tests.
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
        {"name": "extra", "kubernetes": {"namespace": "shop-extra"}, "colour": "red"},
        "colour",
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


API = {"env": {"DEBUG": {"config": "api/debug"}}}


def with_apps(apps):
    return {"name": "shop", "kubernetes": {"namespace": "shop"}, "apps": apps}


def with_env(env):
    return with_apps({"api": {"env": env}})


# Apps: rejected by the schema and by the loader, which names the field.
BAD_DOCUMENTS += [
    ("apps-not-a-mapping", with_apps(["api"]), "apps"),
    ("app-name-upper-case", with_apps({"Api": API}), "apps.Api"),
    ("app-name-underscore", with_apps({"shop_api": API}), "apps.shop_api"),
    ("app-name-trailing-dash", with_apps({"api-": API}), "apps.api-"),
    ("app-name-too-long", with_apps({"a" * 64: API}), "apps." + "a" * 64),
    ("app-not-a-mapping", with_apps({"api": ["DEBUG"]}), "apps.api"),
    ("app-unknown-field", with_apps({"api": {**API, "replicas": 3}}), "apps.api.replicas"),
    ("app-without-env", with_apps({"api": {"kubernetes": {"secret": "api-secrets"}}}), "apps.api.env"),
    ("app-empty-env", with_env({}), "apps.api.env"),
    ("kubernetes-unknown-field", with_apps({"api": {**API, "kubernetes": {"deployment": "api"}}}), "apps.api.kubernetes.deployment"),
    ("kubernetes-secret-upper-case", with_apps({"api": {**API, "kubernetes": {"secret": "Api-Secrets"}}}), "apps.api.kubernetes.secret"),
    ("kubernetes-secret-empty-label", with_apps({"api": {**API, "kubernetes": {"secret": "api..secrets"}}}), "apps.api.kubernetes.secret"),
    ("kubernetes-configmap-too-long", with_apps({"api": {**API, "kubernetes": {"configMap": "a." * 126 + "ab"}}}), "apps.api.kubernetes.configMap"),
    ("kubernetes-configmap-label-too-long", with_apps({"api": {**API, "kubernetes": {"configMap": "a" * 64 + ".b"}}}), "apps.api.kubernetes.configMap"),
    ("variable-name-digit-first", with_env({"1DEBUG": {"config": "api/debug"}}), "apps.api.env.1DEBUG"),
    ("variable-name-dash", with_env({"DB-HOST": {"config": "api/debug"}}), "apps.api.env.DB-HOST"),
    ("variable-not-a-mapping", with_env({"DEBUG": "api/debug"}), "apps.api.env.DEBUG"),
    ("variable-without-source", with_env({"DEBUG": {}}), "apps.api.env.DEBUG"),
    ("variable-secret-and-config", with_env({"DEBUG": {"secret": "a", "config": "b"}}), "apps.api.env.DEBUG"),
    ("variable-config-and-template", with_env({"DEBUG": {"config": "a", "template": "b"}}), "apps.api.env.DEBUG"),
    ("variable-key-only", with_env({"DEBUG": {"key": "k"}}), "apps.api.env.DEBUG"),
    ("variable-key-with-config", with_env({"DEBUG": {"config": "api/debug", "key": "k"}}), "apps.api.env.DEBUG.key"),
    ("variable-key-with-template", with_env({"DEBUG": {"template": "x", "key": "k"}}), "apps.api.env.DEBUG.key"),
    ("variable-unknown-field", with_env({"DEBUG": {"config": "api/debug", "default": "false"}}), "apps.api.env.DEBUG.default"),
    ("variable-bad-secret-name", with_env({"DB": {"secret": "db credentials"}}), "apps.api.env.DB.secret"),
    ("variable-empty-secret-name", with_env({"DB": {"secret": ""}}), "apps.api.env.DB.secret"),
    ("variable-secret-name-too-long", with_env({"DB": {"secret": "s" * 513}}), "apps.api.env.DB.secret"),
    ("variable-bad-config-name", with_env({"DEBUG": {"config": "api;debug"}}), "apps.api.env.DEBUG.config"),
    ("variable-secret-not-a-string", with_env({"DB": {"secret": 5}}), "apps.api.env.DB.secret"),
    ("variable-empty-key", with_env({"DB": {"secret": "db/credentials", "key": ""}}), "apps.api.env.DB.key"),
    ("variable-key-control-character", with_env({"DB": {"secret": "db/credentials", "key": "a\tb"}}), "apps.api.env.DB.key"),
    ("variable-key-not-a-string", with_env({"DB": {"secret": "db/credentials", "key": 5432}}), "apps.api.env.DB.key"),
    ("variable-template-not-a-string", with_env({"URL": {"template": 5}}), "apps.api.env.URL.template"),
    ("variable-template-too-long", with_env({"URL": {"template": "x" * 8193}}), "apps.api.env.URL.template"),
]

# Rejected by the loader only: the schema cannot express these rules.
LOADER_ONLY_BAD_DOCUMENTS = [
    ("template-unclosed", with_env({"URL": {"template": "postgres://{{db/credentials.password"}}), "apps.api.env.URL.template"),
    ("template-bad-secret-name", with_env({"URL": {"template": "{{db credentials}}"}}), "apps.api.env.URL.template"),
    ("template-empty-placeholder", with_env({"URL": {"template": "x{{}}"}}), "apps.api.env.URL.template"),
    ("template-unknown-filter", with_env({"URL": {"template": "{{db/credentials.password|upper}}"}}), "apps.api.env.URL.template"),
    ("shared-secret", with_apps({"api": API, "worker": {**API, "kubernetes": {"secret": "api-secrets"}}}), "apps.worker.kubernetes.secret"),
    ("shared-configmap", with_apps({"web": {**API, "kubernetes": {"configMap": "api-config"}}, "api": API}), "apps.api.kubernetes.configMap"),
]

# Accepted by both.
GOOD_DOCUMENTS = [
    ("no-apps", {"name": "shop", "kubernetes": {"namespace": "shop"}}),
    ("empty-apps", with_apps({})),
    ("default-kubernetes-names", with_apps({"api": API, "worker": API})),
    ("one-kubernetes-name", with_apps({"api": {**API, "kubernetes": {"configMap": "shop.api.config"}}})),
    ("longest-names", with_apps({"a" * 63: {**API, "kubernetes": {"secret": ".".join(["a" * 63] * 3) + "." + "b" * 61}}})),
    ("every-kind", with_env({
        "_LOWER_case9": {"config": "A-Z_0.9+=@/x"},
        "WHOLE": {"secret": "api/django-secret-key"},
        "FIELD": {"secret": "web/tls", "key": "tls.crt"},
        "URL": {"template": "redis://:{{redis/credentials.password}}@{{redis/credentials.host}}:{{redis/credentials.port|raw}}/0"},
        "DOTTED": {"template": "{{[certs/tls.crt]}} {{[web/tls].tls.crt}} {{{{literal}}"},
        "CONSTANT": {"template": "shop.settings.production"},
    })),
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


def test_shipped_apps_are_the_same_in_every_environment():
    documents = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in SHIPPED}
    apps = {name: document["apps"] for name, document in documents.items()}
    assert sorted(apps["prod"]) == ["api", "worker"]
    assert apps["dev"] == apps["staging"] == apps["prod"]
    namespaces = {name: document["kubernetes"]["namespace"] for name, document in documents.items()}
    assert namespaces == {"dev": "shop-dev", "prod": "shop-prod", "staging": "shop-staging"}
    api = apps["prod"]["api"]["env"]
    assert api["DB_PASSWORD"] == {"secret": "db/credentials", "key": "password"}
    assert api["DATABASE_URL"]["template"].startswith("postgres://{{db/credentials.username}}:{{db/credentials.password}}@")


@pytest.mark.parametrize("document", [d for _, d, _ in BAD_DOCUMENTS], ids=[i for i, _, _ in BAD_DOCUMENTS])
def test_schema_rejects_bad_document(validator, document):
    assert not validator.is_valid(document)


@pytest.mark.parametrize("document", [d for _, d, _ in LOADER_ONLY_BAD_DOCUMENTS], ids=[i for i, _, _ in LOADER_ONLY_BAD_DOCUMENTS])
def test_schema_cannot_see_loader_only_rules(validator, document):
    errors = [e.message for e in validator.iter_errors(document)]
    assert errors == [], "the schema now checks this: move the case to BAD_DOCUMENTS"


@pytest.mark.parametrize("document", [d for _, d in GOOD_DOCUMENTS], ids=[i for i, _ in GOOD_DOCUMENTS])
def test_schema_accepts_good_document(validator, document):
    errors = [e.message for e in validator.iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize("document", [d for _, d in GOOD_DOCUMENTS], ids=[i for i, _ in GOOD_DOCUMENTS])
def test_loader_accepts_good_document(tmp_path, document):
    require_binary()
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    (definitions / f"{document['name']}.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    result = run_sejf("init", "--data", str(tmp_path / "data"), "--definitions", str(definitions))

    assert result.returncode == 0, result.stderr


ALL_BAD = BAD_DOCUMENTS + LOADER_ONLY_BAD_DOCUMENTS


@pytest.mark.parametrize("document,field", [(d, f) for _, d, f in ALL_BAD], ids=[i for i, _, _ in ALL_BAD])
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
