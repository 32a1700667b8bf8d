"""Sejf's own deployment: deploy/Dockerfile, /.dockerignore and deploy/kubernetes/*.yaml.

Docker cannot run here, so the Dockerfile is checked statically: its stages, base images, packages,
user, health check and entry point. The Kubernetes manifests are checked by Kubernetes' own schemas
(kubernetes-validate --strict, for 1.32 and 1.37) and then for what a schema cannot see: one
replica, probes on the endpoints and ports the server serves, the security context, resources,
the network policy, that the Service reaches the pods, and that the keys the pods read are the
ones the example Secret shows. The init container's script is run for real: with a stand-in
`sejf` (what it calls, when) and with the built binary (it initialises a data directory from the
Secret's variables alone, and `sejf server` serves from it with the pod's environment).
"""

import base64
import binascii
import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from fnmatch import fnmatchcase
from pathlib import Path

import boto3
import kubernetes_validate
import pytest
import yaml
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "kubernetes"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
SEJF = Path(os.environ.get("SEJF_BIN", REPO / ".build" / "debug" / "sejf"))

KUBERNETES_VERSIONS = ["1.32.0", "1.37.0"]
EXPECTED_FILES = {
    "namespace.yaml", "serviceaccount.yaml", "secret-keys.example.yaml", "statefulset.yaml",
    "service.yaml", "networkpolicy.yaml", "kustomization.yaml",
}
NAMESPACE = "sejf"
LABELS = {"app.kubernetes.io/name": "sejf", "app.kubernetes.io/component": "server"}
UID = 10001

# The variables `sejf` reads its settings from (`sejf server`: every flag also from a variable).
SERVER_SETTINGS = {
    "SEJF_DATA", "SEJF_KEY_DIR", "SEJF_LISTEN", "SEJF_ADMIN_LISTEN", "SEJF_LOG_LEVEL",
    "SEJF_LOG_FORMAT", "SEJF_TLS_CERT", "SEJF_TLS_KEY", "SEJF_ROTATION_CHECK", "SEJF_DEFINITIONS",
    "SEJF_CONFIG", "SEJF_MAX_BODY", "SEJF_TLS_RELOAD_CHECK",
}
# The key variables, as Sources/SejfStore/KeyRing.swift names them.
INSTALLATION_KEYS = {"SEJF_SYSTEM_KEY", "SEJF_AUDIT_KEY"}
ENVIRONMENT_KEY = re.compile(r"^SEJF_(KEY|PASSPHRASE)_([A-Z0-9_]+)$")


# ---------------------------------------------------------------------------------------------
# Loading


def manifest_files():
    return sorted(K8S.glob("*.yaml"))


def documents(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kubernetes_objects():
    """(file name, object) for every Kubernetes object (not the kustomization)."""
    return [(path.name, doc) for path in manifest_files() for doc in documents(path)
            if not doc["apiVersion"].startswith("kustomize.config.k8s.io/")]


def only(kind):
    found = [doc for _, doc in kubernetes_objects() if doc["kind"] == kind]
    assert len(found) == 1, f"expected exactly one {kind} in deploy/kubernetes, found {len(found)}"
    return found[0]


def statefulset():
    return only("StatefulSet")


def pod_spec():
    return statefulset()["spec"]["template"]["spec"]


def server_container():
    containers = pod_spec()["containers"]
    assert len(containers) == 1, "the pod should run one container: sejf server"
    return containers[0]


def init_container():
    inits = pod_spec().get("initContainers", [])
    assert len(inits) == 1, "the pod should have one init container (sejf init)"
    return inits[0]


def all_containers():
    return [init_container(), server_container()]


def example_secret():
    docs = documents(K8S / "secret-keys.example.yaml")
    assert len(docs) == 1 and docs[0]["kind"] == "Secret"
    return docs[0]


def secret_keys(secret):
    return set(secret.get("stringData", {})) | set(secret.get("data", {}))


def env_value(container, name):
    for entry in container.get("env", []):
        if entry["name"] == name:
            assert "value" in entry, f"{name} is expected as a plain value in container {container['name']}"
            return entry["value"]
    raise AssertionError(f"container {container['name']} does not set {name}")


def port_of(address):
    host, _, port = address.rpartition(":")
    assert host and port.isdigit(), f"{address!r} is not host:port"
    return int(port)


def resolve_port(container, port):
    """A probe's or Service's port (a number or a name) as the container port number it names."""
    declared = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    numbers = {p["containerPort"] for p in container.get("ports", [])}
    if isinstance(port, int):
        assert port in numbers, f"port {port} is not declared by container {container['name']}"
        return port
    assert port in declared, f"port name {port!r} is not declared by container {container['name']}"
    return declared[port]


def init_script():
    command = init_container()["command"]
    assert command[:2] == ["/bin/sh", "-ec"] and len(command) == 3, command
    return command[2]


def init_environments():
    """The environments the init container creates (`--environments a,b,c`)."""
    match = re.search(r"sejf init\b[^\n]*--environments[ =]([a-z0-9,-]+)", init_script())
    assert match, "the init container must run `sejf init --environments ...`"
    return match.group(1).split(",")


def key_variables():
    return INSTALLATION_KEYS | {f"SEJF_KEY_{env.upper().replace('-', '_')}" for env in init_environments()}


def documented(name, environments):
    if name in SERVER_SETTINGS or name in INSTALLATION_KEYS:
        return True
    match = ENVIRONMENT_KEY.match(name)
    return bool(match) and match.group(2) in {env.upper().replace("-", "_") for env in environments}


def shipped_environments():
    return {yaml.safe_load(path.read_text())["name"] for path in (REPO / "environments").glob("*.yaml")}


# ---------------------------------------------------------------------------------------------
# The manifests against Kubernetes' schemas


def test_every_expected_manifest_is_there():
    assert {path.name for path in manifest_files()} == EXPECTED_FILES


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name", sorted(EXPECTED_FILES - {"kustomization.yaml"}))
def test_manifest_validates_strictly(name, version):
    docs = documents(K8S / name)
    assert docs, f"{name} holds no object"
    for doc in docs:
        # SchemaNotFoundError (an unknown kind or apiVersion) is a failure too, not a skip.
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            pytest.fail(f"{name}: {doc['kind']}/{doc['metadata']['name']} fails Kubernetes {version} "
                        f"(strict) at {path}: {error.message}", pytrace=False)


def test_strict_validation_catches_a_misspelt_field():
    """The check above can fail: a typo in a container field is refused."""
    broken = statefulset()
    broken["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {"httpGet": {"path": "/readyz", "port": 9090}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_objects_are_namespaced_and_labelled():
    for name, doc in kubernetes_objects():
        meta = doc["metadata"]
        if doc["kind"] == "Namespace":
            assert meta["name"] == NAMESPACE
        else:
            assert meta.get("namespace") == NAMESPACE, f"{name}: {doc['kind']} is not in namespace {NAMESPACE}"
            for key, value in LABELS.items():
                assert meta.get("labels", {}).get(key) == value, f"{name}: {doc['kind']} lacks label {key}={value}"


def test_kustomization_lists_every_manifest_but_the_example_secret():
    kustomization = documents(K8S / "kustomization.yaml")[0]
    assert kustomization["kind"] == "Kustomization"
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources))
    assert set(resources) == EXPECTED_FILES - {"kustomization.yaml", "secret-keys.example.yaml"}
    images = {image["name"] for image in kustomization.get("images", [])}
    assert {c["image"].rpartition(":")[0] for c in all_containers()} <= images


def test_kustomize_builds_the_objects_with_the_image():
    """`kubectl apply -k deploy/kubernetes` works offline up to the server: kustomize builds the
    listed objects, with the image `images:` sets, and they still validate."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl is not installed")
    built = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    objects = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    assert sorted(doc["kind"] for doc in objects) == ["Namespace", "NetworkPolicy", "Service", "ServiceAccount", "StatefulSet"]
    kustomization = documents(K8S / "kustomization.yaml")[0]
    image = next(i for i in kustomization["images"] if i["name"] == "registry.example/sejf/sejf")
    expected = f"{image.get('newName', image['name'])}:{image['newTag']}"
    built_set = next(doc for doc in objects if doc["kind"] == "StatefulSet")["spec"]["template"]["spec"]
    assert {c["image"] for c in built_set["containers"] + built_set["initContainers"]} == {expected}
    for doc in objects:
        kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[-1], strict=True)


# ---------------------------------------------------------------------------------------------
# The StatefulSet


def test_exactly_one_replica():
    """SQLite has one writer: a second replica would be a second database or a second writer."""
    spec = statefulset()["spec"]
    assert spec["replicas"] == 1
    assert statefulset()["kind"] == "StatefulSet"


def test_pod_labels_and_selector_agree():
    spec = statefulset()["spec"]
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"] == LABELS
    assert all(labels.get(k) == v for k, v in LABELS.items())


def test_probes_point_at_health_endpoints_on_a_declared_port():
    container = server_container()
    readiness = container["readinessProbe"]["httpGet"]
    liveness = container["livenessProbe"]["httpGet"]
    assert readiness["path"] == "/readyz"
    assert liveness["path"] == "/healthz"
    admin_port = port_of(env_value(container, "SEJF_ADMIN_LISTEN"))
    for probe in [readiness, liveness] + ([container["startupProbe"]["httpGet"]] if "startupProbe" in container else []):
        assert probe.get("scheme", "HTTP") == "HTTP", "the admin listener is plain HTTP"
        assert resolve_port(container, probe["port"]) == admin_port, \
            "probes must reach the admin listener (SEJF_ADMIN_LISTEN), where /healthz and /readyz are served"


def test_listeners_match_declared_container_ports():
    container = server_container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"api": 8780, "admin": 9090}
    assert port_of(env_value(container, "SEJF_LISTEN")) == ports["api"]
    assert port_of(env_value(container, "SEJF_ADMIN_LISTEN")) == ports["admin"]
    assert env_value(container, "SEJF_LISTEN").startswith("0.0.0.0:"), "loopback would be unreachable from other pods"
    assert container.get("args", []) == ["server"] or container.get("command", [])[-1:] == ["server"]


def test_security_context_is_restricted():
    pod = pod_spec()
    pod_context = pod["securityContext"]
    assert pod_context["runAsNonRoot"] is True
    assert pod_context["runAsUser"] == UID and pod_context["runAsGroup"] == UID
    assert pod_context["fsGroup"] == UID, "the volume must be writable by the sejf user"
    assert pod_context["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == only("ServiceAccount")["metadata"]["name"]
    assert only("ServiceAccount")["automountServiceAccountToken"] is False
    assert pod.get("enableServiceLinks") is False, "service links would inject SEJF_SERVICE_HOST, SEJF_PORT_…"
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod.get(key)
    assert not any("hostPath" in volume for volume in pod.get("volumes", []))
    for container in all_containers():
        context = container["securityContext"]
        name = container["name"]
        assert context["runAsNonRoot"] is True, name
        assert context.get("runAsUser", UID) != 0, name
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context.get("privileged") is not True, name
        assert context["capabilities"]["drop"] == ["ALL"], name
        assert not context["capabilities"].get("add"), name
        assert context.get("seccompProfile", pod_context["seccompProfile"])["type"] == "RuntimeDefault", name


def parse_quantity(value):
    value = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    for suffix, factor in sorted(units.items(), key=lambda item: -len(item[0])):
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * factor
    return float(value)


def test_resources_have_requests_and_limits():
    for container in all_containers():
        resources = container["resources"]
        for resource in ("cpu", "memory"):
            request = parse_quantity(resources["requests"][resource])
            limit = parse_quantity(resources["limits"][resource])
            assert 0 < request <= limit, f"{container['name']}: {resource} request {request} > limit {limit}"
    assert parse_quantity(server_container()["resources"]["limits"]["memory"]) >= 128 * 2**20


def test_writable_paths_are_volumes():
    """With a read-only root file system, the data directory and /tmp must be volumes."""
    pod = pod_spec()
    claims = {claim["metadata"]["name"] for claim in statefulset()["spec"]["volumeClaimTemplates"]}
    empty_dirs = {volume["name"] for volume in pod["volumes"] if "emptyDir" in volume}
    for container in all_containers():
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        data = env_value(container, "SEJF_DATA")
        assert data == "/var/lib/sejf"
        assert mounts[data]["name"] in claims, f"{container['name']}: {data} is not on the persistent volume"
        assert not mounts[data].get("readOnly")
        assert mounts["/tmp"]["name"] in empty_dirs
    claim = statefulset()["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["accessModes"] in (["ReadWriteOnce"], ["ReadWriteOncePod"])
    assert statefulset()["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"


def test_tls_files_come_from_a_read_only_secret_volume():
    container = server_container()
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec()["volumes"]}
    for variable in ("SEJF_TLS_CERT", "SEJF_TLS_KEY"):
        path = env_value(container, variable)
        directory = str(Path(path).parent)
        assert directory in mounts, f"{variable}={path} is not on a mounted volume"
        assert mounts[directory].get("readOnly") is True
        assert "secret" in volumes[mounts[directory]["name"]]


def test_keys_come_from_the_example_secret():
    secret = example_secret()
    keys = secret_keys(secret)
    assert secret["metadata"]["name"] == "sejf-keys"
    assert keys == key_variables(), "the example Secret must hold exactly the keys the pod reads"
    for container in all_containers():
        references = {}
        for entry in container["env"]:
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == secret["metadata"]["name"], f"{container['name']} reads Secret {ref['name']}"
                assert ref["key"] in keys, f"{container['name']} reads key {ref['key']} the example lacks"
                assert not ref.get("optional"), "a missing key must stop the pod, not let sejf init write a key file"
                references[entry["name"]] = ref["key"]
        assert references == {key: key for key in key_variables()}, \
            f"{container['name']}: every key variable must come from the Secret key of the same name"
        assert "envFrom" not in container, "keys are referenced one by one, so a missing one is an error"


def test_every_key_variable_is_one_the_key_ring_reads():
    key_ring = (REPO / "Sources" / "SejfStore" / "KeyRing.swift").read_text()
    for name in INSTALLATION_KEYS:
        assert f'"{name}"' in key_ring
    assert '"SEJF_KEY_\\(env.variableSuffix)"' in key_ring
    assert set(init_environments()) == shipped_environments(), "init creates the environments of environments/*.yaml"


def test_example_secret_placeholders_are_not_usable_keys():
    """A mistakenly applied example must fail, never run with a published key."""
    secret = example_secret()
    text = (K8S / "secret-keys.example.yaml").read_text()
    assert text.startswith("# EXAMPLE ONLY"), "the file must say at once that it is an example"
    assert "head -c 32 /dev/urandom | base64" in text, "the file must say how to make real keys"
    values = dict(secret.get("stringData", {}))
    values.update({k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()})
    for name, value in values.items():
        try:
            decoded = base64.b64decode(value, validate=True)
        except binascii.Error:
            continue
        assert len(decoded) != 32, f"{name} in the example is a usable 32-byte key"


def test_images_are_pinned_and_shared():
    images = {container["image"] for container in all_containers()}
    assert len(images) == 1, "the init container must run the same image as the server"
    image = images.pop()
    repository, _, tag = image.rpartition(":")
    assert repository and "/" not in tag and tag and tag != "latest", f"{image} has no pinned tag"


def test_manifests_use_only_documented_variables():
    environments = init_environments()
    for container in all_containers():
        for entry in container.get("env", []):
            assert documented(entry["name"], environments), f"{container['name']} sets {entry['name']}, which sejf does not read"


# ---------------------------------------------------------------------------------------------
# Service and NetworkPolicy


def test_service_selects_the_pods_and_reaches_their_ports():
    service = only("Service")
    spec = service["spec"]
    labels = statefulset()["spec"]["template"]["metadata"]["labels"]
    assert spec.get("type", "ClusterIP") == "ClusterIP"
    assert spec["selector"] and all(labels.get(k) == v for k, v in spec["selector"].items())
    assert statefulset()["spec"]["serviceName"] == service["metadata"]["name"]
    container = server_container()
    ports = {p["name"]: (p["port"], resolve_port(container, p.get("targetPort", p["port"]))) for p in spec["ports"]}
    assert ports == {"api": (8780, 8780), "metrics": (9090, 9090)}


def namespaces_of(peer):
    """The namespace names a NetworkPolicy peer admits; fails on anything broader."""
    assert set(peer) == {"namespaceSelector"}, f"peer {peer} must select namespaces only"
    selector = peer["namespaceSelector"]
    names = set()
    if "kubernetes.io/metadata.name" in selector.get("matchLabels", {}):
        names.add(selector["matchLabels"]["kubernetes.io/metadata.name"])
    for expression in selector.get("matchExpressions", []):
        assert expression["key"] == "kubernetes.io/metadata.name" and expression["operator"] == "In", expression
        names.update(expression["values"])
    assert names and set(selector) <= {"matchLabels", "matchExpressions"}, f"{selector} is not a namespace-name selector"
    return names


def test_network_policy_admits_only_shop_prod_to_the_api_and_monitoring_to_metrics():
    policy = only("NetworkPolicy")["spec"]
    labels = statefulset()["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"] and all(labels.get(k) == v for k, v in policy["podSelector"]["matchLabels"].items())
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    admitted = {}
    for rule in policy["ingress"]:
        assert rule.get("from"), "an ingress rule without `from` admits every source"
        assert rule.get("ports"), "an ingress rule without `ports` admits every port"
        sources = set().union(*(namespaces_of(peer) for peer in rule["from"]))
        for port in rule["ports"]:
            assert port.get("protocol", "TCP") == "TCP"
            admitted.setdefault(port["port"], set()).update(sources)
    assert admitted == {8780: {"shop-prod"}, 9090: {"monitoring"}}
    prod = yaml.safe_load((REPO / "environments" / "prod.yaml").read_text())
    assert prod["kubernetes"]["namespace"] in admitted[8780], "the prod apps' namespace must reach the API"


def test_network_policy_egress_is_dns_and_postgres_only():
    policy = only("NetworkPolicy")["spec"]
    allowed = set()
    for rule in policy["egress"]:
        assert rule.get("ports"), "an egress rule without `ports` allows every port"
        for port in rule["ports"]:
            allowed.add((port.get("protocol", "TCP"), port["port"]))
    assert allowed == {("UDP", 53), ("TCP", 53), ("TCP", 5432)}
    text = (K8S / "networkpolicy.yaml").read_text()
    assert "5432" in text and "rotat" in text, "the PostgreSQL egress must say why (rotation)"


# ---------------------------------------------------------------------------------------------
# The init container's script, run for real


def pod_environment(container, keys, data):
    """The container's environment as Kubernetes would set it, with `keys` for the Secret."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for entry in container["env"]:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        else:
            env[entry["name"]] = keys[entry["valueFrom"]["secretKeyRef"]["key"]]
    env["SEJF_DATA"] = str(data)
    return env


def random_keys():
    return {name: base64.b64encode(os.urandom(32)).decode() for name in key_variables()}


def run_init_with(tmp_path, sejf_path, keys, data, extra):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / "sejf"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(sejf_path)
    env = pod_environment(init_container(), keys, data)
    env.update(extra)
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    return subprocess.run(["/bin/sh", "-ec", init_script()], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)


STAND_IN = """#!/bin/sh
echo "$*" >> "$SEJF_CALLS"
[ -n "$STAND_IN_FAIL" ] && { echo partial; exit 1; }
touch "$SEJF_DATA/sejf.db"
echo '{"AccessKeyId": "AKIASTANDIN", "SecretAccessKey": "s"}'
"""


def test_init_script_initialises_once_and_refuses_missing_keys(tmp_path):
    """The script with a stand-in `sejf` that records its calls: the guards, the once-only rule,
    and where the admin's key goes."""
    stand_in = tmp_path / "stand-in-sejf"
    stand_in.write_text(STAND_IN)
    stand_in.chmod(0o755)
    calls = tmp_path / "calls"
    data = tmp_path / "data"
    data.mkdir()

    def run(keys, fail=False):
        extra = {"SEJF_CALLS": str(calls), **({"STAND_IN_FAIL": "1"} if fail else {})}
        result = run_init_with(tmp_path, stand_in, keys, data, extra)
        return result, (calls.read_text().splitlines() if calls.exists() else [])

    keys = random_keys()
    # A key missing from the Secret: refused before sejf init can write a key file.
    result, called = run({**keys, "SEJF_KEY_PROD": ""})
    assert result.returncode != 0 and "SEJF_KEY_PROD" in result.stderr and called == []
    # sejf init failing: nothing is left that looks like a credentials file.
    result, called = run(keys, fail=True)
    assert result.returncode != 0 and len(called) == 1
    assert sorted(p.name for p in data.iterdir()) == []
    # First start: sejf init, its output (the admin's key) in an owner-only file, not in the log.
    calls.unlink()
    result, called = run(keys)
    assert result.returncode == 0, result.stderr
    assert called == [f"init --environments {','.join(init_environments())} --output json"]
    credentials = data / "admin-access-key.json"
    assert json.loads(credentials.read_text())["AccessKeyId"] == "AKIASTANDIN"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert "AKIASTANDIN" not in result.stdout + result.stderr
    # Every later start: nothing.
    result, called = run(keys)
    assert result.returncode == 0 and len(called) == 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_pod_environment_initialises_and_serves_with_the_real_binary(tmp_path):
    """What the pod does, with the built binary: the init container's script on an empty volume,
    then `sejf server` with the server container's environment. The listeners are moved to a
    free loopback port (health on the main listener) and TLS is left out: no certificate here."""
    if not SEJF.is_file():
        pytest.fail(f"{SEJF} does not exist: run `swift build` first (scripts/test.sh does)", pytrace=False)
    keys = random_keys()
    data = tmp_path / "data"
    data.mkdir()
    result = run_init_with(tmp_path, SEJF, keys, data, {})
    assert result.returncode == 0, result.stderr
    report = json.loads((data / "admin-access-key.json").read_text())
    assert {e["Name"]: e["KeySource"] for e in report["Environments"]} == {env: "variable" for env in init_environments()}
    assert not list(data.rglob("*.key")), "no key file may be written next to the database"
    assert report["SecretAccessKey"] not in result.stdout + result.stderr

    # A second start of the init container leaves the initialised volume alone.
    before = (data / "sejf.db").stat().st_mtime_ns
    again = run_init_with(tmp_path, SEJF, keys, data, {})
    assert again.returncode == 0 and "already initialised" in again.stdout
    assert (data / "sejf.db").stat().st_mtime_ns == before

    env = pod_environment(server_container(), keys, data)
    for name in ("SEJF_ADMIN_LISTEN", "SEJF_TLS_CERT", "SEJF_TLS_KEY"):
        env.pop(name)
    port = free_port()
    env["SEJF_LISTEN"] = f"127.0.0.1:{port}"
    server = subprocess.Popen([str(SEJF), *server_container()["args"], "--listen", f"127.0.0.1:{port}"],
                              env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = http_get(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert server.poll() is None, f"sejf server exited: {server.stderr.read()}"
        assert status == 200, f"/healthz answered {status}"
        ready, body = http_get(f"http://127.0.0.1:{port}/readyz")
        assert ready != 503, f"/readyz reports a failing check: {body}"
        # Every environment's key works: a write and a read in each, signed with the admin's key.
        for environment in init_environments():
            client = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{port}", region_name=environment,
                                  aws_access_key_id=report["AccessKeyId"], aws_secret_access_key=report["SecretAccessKey"],
                                  config=Config(retries={"max_attempts": 1}))
            client.create_secret(Name="deploy/check", SecretString=f"in {environment}")
            assert client.get_secret_value(SecretId="deploy/check")["SecretString"] == f"in {environment}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode == 0, server.stderr.read()


# ---------------------------------------------------------------------------------------------
# The Dockerfile


def dockerfile_instructions(text):
    """[(INSTRUCTION, arguments)] with continuations joined and comments dropped."""
    instructions, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            keyword, _, arguments = current.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends in a line continuation"
    return instructions


def dockerfile_stages():
    """[{"image", "name", "instructions"}] per FROM."""
    stages = []
    for keyword, arguments in dockerfile_instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            words = arguments.split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append({"image": words[0], "name": name, "instructions": []})
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1]["instructions"].append((keyword, arguments))
    return stages


def stage_runs(stage):
    return " && ".join(arguments for keyword, arguments in stage["instructions"] if keyword == "RUN")


def apt_packages(stage):
    """The packages `apt-get install` names in a stage's RUN instructions."""
    packages = []
    for command in re.split(r"&&|;|\|\|", stage_runs(stage)):
        words = shlex.split(command)
        if words[:2] == ["apt-get", "install"] or words[:1] == ["apt-get"] and "install" in words:
            packages += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return packages


def instruction(stage, keyword):
    found = [arguments for kw, arguments in stage["instructions"] if kw == keyword]
    assert len(found) == 1, f"expected one {keyword} in stage {stage['name']}, found {len(found)}"
    return found[0]


def dockerfile_env(stage):
    """ENV key=value pairs (the key=value form, several per instruction)."""
    env = {}
    for keyword, arguments in stage["instructions"]:
        if keyword == "ENV":
            for word in shlex.split(arguments):
                key, sep, value = word.partition("=")
                assert sep, f"ENV {arguments!r}: use the key=value form"
                env[key] = value
    return env


def test_dockerfile_is_multi_stage_with_pinned_official_images():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    for stage in stages:
        image = stage["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and "/" not in tag, f"{image} is not pinned to a tag"
    build, runtime = stages[0], stages[-1]
    assert re.fullmatch(r"swift:\d+\.\d+(\.\d+)?-bookworm", build["image"]), build["image"]
    assert runtime["image"] == "debian:bookworm-slim"
    # The compiler is at least what Package.swift asks for.
    tools = re.search(r"swift-tools-version:\s*(\d+)\.(\d+)", (REPO / "Package.swift").read_text())
    image_version = re.match(r"swift:(\d+)\.(\d+)", build["image"])
    assert (int(image_version[1]), int(image_version[2])) >= (int(tools[1]), int(tools[2]))


def test_build_stage_installs_the_dev_libraries_and_builds_a_static_release():
    build = dockerfile_stages()[0]
    assert {"libsodium-dev", "libsqlite3-dev"} <= set(apt_packages(build))
    runs = stage_runs(build)
    assert re.search(r"swift build -c release --product sejf --static-swift-stdlib", runs)
    assert "rm -rf /var/lib/apt/lists/*" in runs
    copied = [shlex.split(arguments)[0] for keyword, arguments in build["instructions"] if keyword == "COPY"]
    assert {"Package.swift", "Sources", "Tests"} <= set(copied)


def test_runtime_stage_installs_only_the_shared_libraries():
    runtime = dockerfile_stages()[-1]
    packages = apt_packages(runtime)
    assert {"libsodium23", "libsqlite3-0"} <= set(packages)
    # libcurl4: FoundationNetworking (URLSession) stays a shared library with --static-swift-stdlib.
    assert set(packages) <= {"libsodium23", "libsqlite3-0", "libcurl4", "ca-certificates"}, packages
    assert not any(p.endswith("-dev") for p in packages)
    # The runtime's libcurl4 is the OpenSSL flavour: the build must link against the same one
    # (libcurl4-gnutls-dev would make the binary need libcurl-gnutls.so.4).
    build_packages = set(apt_packages(dockerfile_stages()[0]))
    if "libcurl4" in packages:
        assert "libcurl4-openssl-dev" in build_packages and "libcurl4-gnutls-dev" not in build_packages
    runs = stage_runs(runtime)
    assert "--no-install-recommends" in runs
    assert "rm -rf /var/lib/apt/lists/*" in runs


def test_runtime_stage_runs_as_a_fixed_non_root_user():
    runtime = dockerfile_stages()[-1]
    user = instruction(runtime, "USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0, f"USER {user} must be a numeric non-zero uid"
    assert not gid or (gid.isdigit() and int(gid) != 0)
    assert int(uid) == pod_spec()["securityContext"]["runAsUser"], "image and pod must agree on the uid"
    runs = stage_runs(runtime)
    assert re.search(rf"useradd\b[^&]*--uid {uid}\b", runs)
    assert re.search(rf"chown {uid}(:\d+)? /var/lib/sejf\b", runs)


def test_entrypoint_healthcheck_and_ports():
    runtime = dockerfile_stages()[-1]
    assert json.loads(instruction(runtime, "ENTRYPOINT")) == ["/usr/local/bin/sejf"]
    assert json.loads(instruction(runtime, "CMD")) == ["server"]
    copies = [arguments for keyword, arguments in runtime["instructions"] if keyword == "COPY"]
    assert any("--from=build" in c.split() and c.split()[-1] == "/usr/local/bin/sejf" for c in copies), \
        "the binary must come from the build stage to /usr/local/bin/sejf"
    healthcheck = instruction(runtime, "HEALTHCHECK")
    command = json.loads(healthcheck[healthcheck.index("CMD") + 3:].strip())
    env = dockerfile_env(runtime)
    admin_port = port_of(env["SEJF_ADMIN_LISTEN"])
    assert command == ["/usr/local/bin/sejf", "healthcheck", "--url", f"http://127.0.0.1:{admin_port}/healthz"]
    exposed = {int(p.split("/")[0]) for p in instruction(runtime, "EXPOSE").split()}
    assert exposed == {port_of(env["SEJF_LISTEN"]), admin_port} == {8780, 9090}


def test_dockerfile_environment_defaults():
    env = dockerfile_env(dockerfile_stages()[-1])
    assert {k: v for k, v in env.items() if k.startswith("SEJF_")} == {
        "SEJF_DATA": "/var/lib/sejf",
        "SEJF_LISTEN": "0.0.0.0:8780",
        "SEJF_ADMIN_LISTEN": "0.0.0.0:9090",
        "SEJF_LOG_FORMAT": "json",
    }
    text = DOCKERFILE.read_text()
    names = {name for name in re.findall(r"\bSEJF_[A-Z0-9_]+", text) if not name.endswith("_")}  # not SEJF_KEY_<ENV>
    assert names >= {"SEJF_DATA", "SEJF_LISTEN", "SEJF_ADMIN_LISTEN", "SEJF_LOG_FORMAT"}
    for name in names:
        assert documented(name, init_environments()), f"the Dockerfile names {name}, which sejf does not read"
    assert not re.search(r"SEJF_(SYSTEM|AUDIT)_KEY=|SEJF_KEY_[A-Z]+=", text), "keys must never be baked into the image"


def test_no_image_anywhere_uses_latest():
    for stage in dockerfile_stages():
        assert not stage["image"].endswith(":latest") and ":" in stage["image"]
    for container in all_containers():
        assert not container["image"].endswith(":latest")


# ---------------------------------------------------------------------------------------------
# .dockerignore


def dockerignore_patterns():
    patterns = []
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            patterns.append((negated, line.lstrip("!").strip("/")))
    return patterns


def pattern_matches(pattern, path):
    """Docker's rule: a pattern matches a path or any of its parent directories; `**` is any depth."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if pattern.startswith("**/"):
        tail = pattern[3:]
        return any(pattern_matches(tail, "/".join(parts[i:])) for i in range(len(parts)))
    return any(fnmatchcase(candidate, pattern) and candidate.count("/") == pattern.count("/") for candidate in candidates)


def ignored(path):
    verdict = False
    for negated, pattern in dockerignore_patterns():
        if pattern_matches(pattern, path):
            verdict = not negated
    return verdict


def test_dockerignore_sends_the_sources_and_nothing_secret():
    for path in ["Package.swift", "Package.resolved", "Sources/sejf/SejfCommand.swift",
                 "Sources/CSodium/module.modulemap", "Tests/SejfAWSTests/Fixtures"]:
        assert not ignored(path), f"{path} is needed by swift build but .dockerignore leaves it out"
    for path in [".build/debug/sejf", ".git/config", "sejf-data/sejf.db", "sejf-data/keys/prod.key",
                 "keys/_system.key", "Tests/SejfAWSTests/Fixtures/leaked.key", "Tests/python/test_deploy.py",
                 "deploy/kubernetes/statefulset.yaml"]:
        assert ignored(path), f"{path} would be sent to the Docker daemon"


def test_dockerfile_copies_only_what_the_context_holds():
    build = dockerfile_stages()[0]
    for keyword, arguments in build["instructions"]:
        if keyword == "COPY" and "--from" not in arguments:
            for source in shlex.split(arguments)[:-1]:
                if "*" in source:
                    continue
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
                assert not ignored(source), f"COPY {source}: excluded by .dockerignore"
