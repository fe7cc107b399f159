"""deploy/ checked offline: the Compose file against the Compose Specification's JSON schema,
every Kubernetes manifest against Kubernetes' own (both read from installed packages), the
Prometheus rules and configuration with promtool (rules unit-tested too), every metric the
dashboard and the alerts query against what a served gateway exports, and the settings that
must agree across files: probes, ports, grace periods, sizes, secrets.

Schemas: `check-jsonschema` vendors compose-spec/compose-spec's `schema/compose-spec.json`
(`check_jsonschema/builtin_schemas/vendor/`); `kubernetes-validate` bundles strict schemas of
each Kubernetes minor since 1.25. promtool is Debian's (package `prometheus`; scripts/test
installs it): missing, these tests skip, and fail under CI=true.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.config import ConfigError, Settings
from gateway.http_edge import server_config
from tests.helpers import serve

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
PROMETHEUS = DEPLOY / "prometheus"
GATEWAY_IMAGE = "localhost/travel-gateway:latest"
TOKEN = "deploy-test-token-" + "t" * 32
SIGNING_KEY = "deploy-test-signing-key-" + "k" * 32
VALID_SECRETS = {"GATEWAY_CACHE_SIGNING_KEY": SIGNING_KEY, "GATEWAY_METRICS_TOKEN": TOKEN}
PROMETHEUS_MADE = {"up"}
"""Series Prometheus makes for every scrape target, not the gateway: alerts may name them."""
PROCESS_METRICS = {
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_open_fds",
}
SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum"),
    "info": ("_info",),
}
"""The samples a family of each type has (other types: its name), in the text format; any
`_created` series are families of their own there."""
GRAFANA_INTERVALS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def manifests() -> list[tuple[str, dict[str, Any]]]:
    """Every Kubernetes object in deploy/kubernetes/ (kustomization.yaml is kustomize's)."""
    found = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((f"{path.name}:{document['kind']}/{document['metadata']['name']}",
                              document))  # fmt: skip
    return found


def manifest(kind: str, name: str) -> dict[str, Any]:
    [found] = [d for _, d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load(DEPLOY / "compose.yaml")
    return loaded


def gateway_services(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in spec["services"].items() if s.get("image") == GATEWAY_IMAGE}


def services_of_image(spec: dict[str, Any], prefix: str) -> list[str]:
    return [n for n, s in spec["services"].items() if str(s.get("image", "")).startswith(prefix)]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` (the forms compose.yaml uses)."""

    def one(match: re.Match[str]) -> str:
        name, form, arg = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if form == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg if form == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


def example_env() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "example.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def seconds(duration: str) -> float:
    """A Compose or HAProxy duration: `30s`, `1m30s`, `500ms`."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration)
    assert "".join(n + u for n, u in parts) == duration, f"not a duration: {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


def quantity(value: str | int) -> float:
    """A Kubernetes quantity (`1Gi`, `500m`, `2`), in base units (bytes, cores)."""
    factors = {
        "": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9,
        "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
    }  # fmt: skip
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", str(value))
    assert match is not None, f"not a quantity: {value!r}"
    assert match.group(2) in factors, f"not a unit: {value!r}"
    return float(match.group(1)) * factors[match.group(2)]


def size_bytes(value: str) -> int:
    """A Compose or Redis size (`1g`, `512m`, `1536mb`), binary units."""
    match = re.fullmatch(r"(\d+)([kmg]?)b?", value.lower())
    assert match is not None, f"not a size: {value!r}"
    exponent = "bkmg".index(match.group(2) or "b")
    return int(match.group(1)) << (10 * exponent)


def worker_ceiling_bytes() -> int:
    """docs/operations.md, Sizing: the memory to plan per worker."""
    text = (ROOT / "docs" / "operations.md").read_text()
    match = re.search(r"plan\s+~(\d+)\s+MiB\s+per\s+worker", text)
    assert match is not None, "docs/operations.md no longer says the memory to plan per worker"
    return int(match.group(1)) * 2**20


def grace_needed_s(env: dict[str, str]) -> float:
    """What a stop must allow: the drain (`GATEWAY_DRAIN_S`), then requests in flight (the
    server's graceful shutdown)."""
    settings = Settings.from_env({**env, **VALID_SECRETS})
    in_flight = server_config(settings, "gateway.app:create_app").timeout_graceful_shutdown
    assert in_flight is not None
    return settings.drain_s + in_flight


# --- the metrics a gateway exports ---------------------------------------------------------


async def _scrape() -> str:
    settings = Settings(metrics_token=TOKEN)
    app = create_app(settings)
    async with serve(app, settings) as url, aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with session.get(f"{url}/metrics", headers=headers) as answer:
            assert answer.status == 200
            return await answer.text()


@pytest.fixture(scope="module")
def families() -> dict[str, set[str]]:
    """Each family a served gateway's /metrics shows, with every sample name it can show: by
    its type (labelled families show no sample before their first event), and those it shows."""
    found = {}
    for family in text_string_to_metric_families(asyncio.run(_scrape())):
        samples = {family.name + suffix for suffix in SAMPLE_SUFFIXES.get(family.type, ("",))}
        found[family.name] = samples | {sample.name for sample in family.samples}
    return found


@pytest.fixture(scope="module")
def exported(families: dict[str, set[str]]) -> set[str]:
    return set().union(*families.values())


def promql_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (Grafana's interval variables filled in)."""
    for variable, value in GRAFANA_INTERVALS.items():
        expr = expr.replace(variable, value)
    names: set[str] = set()

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            for matcher in node.matchers.matchers:
                if matcher.name == "__name__":
                    assert matcher.op == promql_parser.MatchOp.Equal, f"{expr}: a name pattern"
                    names.add(matcher.value)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DEPLOY / "grafana" / "dashboard.json").read_text())
    return loaded


def dashboard_panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])  # a collapsed row's


def dashboard_queries(board: dict[str, Any]) -> list[str]:
    """Every PromQL query: the panels' and the template variables' (`label_values(q, label)`)."""
    queries = [t["expr"] for p in dashboard_panels(board) for t in p.get("targets", [])]
    for variable in board["templating"]["list"]:
        if variable["type"] != "query":
            continue
        query = variable["query"]
        text = query["query"] if isinstance(query, dict) else query
        match = re.fullmatch(r"label_values\((.+),\s*\w+\)", text.strip())
        assert match is not None, f"variable {variable['name']}: unexpected query {text!r}"
        queries.append(match.group(1))
    return queries


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load(PROMETHEUS / "alerts.yml")["groups"] for rule in group["rules"]]


def rule_test_series() -> list[str]:
    tests = load(PROMETHEUS / "alerts.test.yml")["tests"]
    return [series["series"] for test in tests for series in test["input_series"]]


# --- Compose --------------------------------------------------------------------------------


def test_compose_file_follows_the_compose_specification() -> None:
    vendored = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(vendored.read_text())
    assert schema["title"] == "Compose Specification"
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(schema, format_checker=validator.FORMAT_CHECKER).iter_errors(compose())
    ]
    assert errors == []


def test_compose_runs_two_gateways_one_proxy_redis_prometheus_and_grafana() -> None:
    spec = compose()
    gateways = gateway_services(spec)
    assert len(gateways) == 2
    built = [s["build"] for s in gateways.values() if "build" in s]
    assert built, "no gateway builds the image"
    for build in built:
        assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()
    assert len(services_of_image(spec, "haproxy:")) == 1
    assert services_of_image(spec, "redis:") == ["redis"]
    assert len(services_of_image(spec, "prom/prometheus:")) == 1
    assert len(services_of_image(spec, "grafana/grafana")) == 1
    for name, service in gateways.items():
        env = service["environment"]
        assert env["GATEWAY_CACHE_URL"] == "redis://redis:6379/0", name
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "ports" not in service, f"{name}: clients come through the proxy"
        assert service["healthcheck"]["test"] == [
            "CMD", "python", "-m", "gateway.probe", "/readyz",
        ]  # fmt: skip
        assert service["read_only"] is True
        assert "/tmp" in service["tmpfs"]


def test_every_file_compose_mounts_is_in_deploy() -> None:
    spec = compose()
    mounted = [
        volume.split(":")[0]
        for service in spec["services"].values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    ]
    assert mounted
    for source in mounted:
        assert (DEPLOY / source).exists(), source


def test_compose_secrets_are_interpolated_never_written() -> None:
    spec = compose()
    secret = re.compile(r"KEY|TOKEN|SECRET|PASSWORD")
    for service in spec["services"].values():
        for name, value in service.get("environment", {}).items():
            if secret.search(name):
                assert re.fullmatch(r"\$\{\w+(:[-?][^}]*)?\}", value), f"{name}: {value!r}"
    required = set(re.findall(r"\$\{(\w+):\?", (DEPLOY / "compose.yaml").read_text()))
    assert required >= set(VALID_SECRETS)
    assert required <= set(example_env()), "example.env lacks a variable compose.yaml requires"


def test_compose_gateway_settings_are_valid_and_refuse_the_example_placeholders() -> None:
    env = dict(next(iter(gateway_services(compose()).values()))["environment"])
    given = {name: interpolate(value, VALID_SECRETS) for name, value in env.items()}
    settings = Settings.from_env(given)
    assert settings.cache_signing_key == SIGNING_KEY
    assert settings.metrics_token == TOKEN
    with pytest.raises(KeyError, match="GATEWAY_CACHE_SIGNING_KEY"):
        interpolate(env["GATEWAY_CACHE_SIGNING_KEY"], {})
    for secret in VALID_SECRETS:
        placeholder = {**VALID_SECRETS, secret: example_env()[secret]}
        with pytest.raises(ConfigError, match=secret):
            Settings.from_env(
                {name: interpolate(value, placeholder) for name, value in env.items()}
            )


def test_every_variable_given_to_a_gateway_is_a_setting() -> None:
    """A misspelt name (`GATEWAY_CACHE_UR`) would be ignored: the gateway runs without it."""
    from gateway.env_names import known

    given = {
        "compose.yaml": set().union(
            *(s["environment"] for s in gateway_services(compose()).values())
        ),
        "configmap.yaml": set(manifest("ConfigMap", "travel-gateway")["data"]),
        "secret.yaml": set(manifest("Secret", "travel-gateway")["stringData"]),
    }
    for where, names in given.items():
        assert names - {"PORT"} - known() == set(), where


def test_compose_stop_grace_period_covers_the_drain_and_requests_in_flight() -> None:
    for name, service in gateway_services(compose()).items():
        env = {k: interpolate(v, VALID_SECRETS) for k, v in service["environment"].items()}
        assert seconds(service["stop_grace_period"]) >= grace_needed_s(env) + 5, name


def test_compose_memory_limit_fits_the_workers() -> None:
    for name, service in gateway_services(compose()).items():
        workers = int(service["environment"]["GATEWAY_WORKERS"])
        limit = size_bytes(service["deploy"]["resources"]["limits"]["memory"])
        assert limit >= workers * worker_ceiling_bytes(), name


def haproxy_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in (DEPLOY / "haproxy" / "haproxy.cfg").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line:
            continue
        if not line[0].isspace():
            current = " ".join(line.split()[:2])
            sections[current] = []
        else:
            sections[current].append(" ".join(line.split()))
    return sections


def test_proxy_balances_round_robin_without_stickiness_and_checks_readiness() -> None:
    spec = compose()
    sections = haproxy_sections()
    backend = sections["backend gateways"]
    assert "balance roundrobin" in backend
    sticky = [line for line in backend if line.split()[0] in ("cookie", "stick", "stick-table")]
    assert sticky == []
    assert "http-check send meth GET uri /readyz" in backend
    assert "http-check expect status 200" in backend
    servers = {line.split()[1]: line.split()[2] for line in backend if line.startswith("server ")}
    assert servers == {name: f"{name}:8000" for name in gateway_services(spec)}
    # Out of rotation within the drain: `fall` failed checks `inter` apart.
    [defaults] = [line.split() for line in backend if line.startswith("default-server ")]
    inter = seconds(defaults[defaults.index("inter") + 1])
    fall = int(defaults[defaults.index("fall") + 1])
    env = next(iter(gateway_services(spec).values()))["environment"]
    drain_s = Settings.from_env({k: interpolate(v, VALID_SECRETS) for k, v in env.items()}).drain_s
    assert inter * fall < drain_s
    # The proxy's published port reaches its bind; /metrics is not served to the public.
    [proxy] = services_of_image(spec, "haproxy:")
    [published] = spec["services"][proxy]["ports"]
    assert f"bind :{published.rsplit(':', 1)[1]}" in sections["frontend public"]
    assert any("deny" in line and "/metrics" in line for line in sections["frontend public"])


def test_the_gateways_trust_the_proxy_and_only_it() -> None:
    spec = compose()
    [proxy] = services_of_image(spec, "haproxy:")
    [(network, attached)] = spec["services"][proxy]["networks"].items()
    address = ipaddress.ip_address(attached["ipv4_address"])
    [subnet] = [c["subnet"] for c in spec["networks"][network]["ipam"]["config"]]
    assert address in ipaddress.ip_network(subnet)
    for name, service in gateway_services(spec).items():
        env = {k: interpolate(v, VALID_SECRETS) for k, v in service["environment"].items()}
        assert Settings.from_env(env).trusted_proxies == (str(address),), name
        assert network in service["networks"], name


def test_haproxy_accepts_its_configuration() -> None:
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        if os.environ.get("CI") == "true":
            pytest.fail("haproxy is missing under CI (scripts/test installs Debian's haproxy)")
        pytest.skip("haproxy is not installed (Debian package haproxy)")
    checked = subprocess.run(
        [haproxy, "-c", "-f", str(DEPLOY / "haproxy" / "haproxy.cfg")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_redis_keeps_nothing_and_never_evicts() -> None:
    redis = compose()["services"]["redis"]
    [container] = manifest("Deployment", "redis")["spec"]["template"]["spec"]["containers"]
    for args in (redis["command"], container["args"]):
        pairs = dict(zip(args[1::2], args[2::2], strict=True))
        assert pairs["--maxmemory-policy"] == "noeviction"
        assert pairs["--save"] == ""
        assert pairs["--appendonly"] == "no"
        assert size_bytes(pairs["--maxmemory"]) >= 2**30


# --- Prometheus -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing under CI (scripts/test installs Debian's prometheus)")
        pytest.skip("promtool is missing: apt-get install prometheus (scripts/test does)")
    return found


def run_promtool(promtool: str, *args: str, cwd: Path = PROMETHEUS) -> str:
    done = subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_promtool_accepts_the_alert_rules(promtool: str) -> None:
    assert "SUCCESS" in run_promtool(promtool, "check", "rules", "alerts.yml")


def test_the_alert_rules_pass_their_unit_tests(promtool: str) -> None:
    assert "SUCCESS" in run_promtool(promtool, "test", "rules", "alerts.test.yml")


def test_promtool_accepts_the_prometheus_configuration(promtool: str, tmp_path: Path) -> None:
    """The configuration as Prometheus reads it in Compose, with its token file (a Compose
    secret there) made here, so that promtool checks the files it names and the rules."""
    config = load(PROMETHEUS / "prometheus.yml")
    token = tmp_path / "token"
    token.write_text(TOKEN)
    for job in config["scrape_configs"]:
        job["authorization"]["credentials_file"] = str(token)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    for rules in config["rule_files"]:
        shutil.copy(PROMETHEUS / rules, tmp_path / rules)
    assert "SUCCESS" in run_promtool(promtool, "check", "config", "prometheus.yml", cwd=tmp_path)


def test_prometheus_scrapes_each_gateway_with_the_metrics_token() -> None:
    spec = compose()
    config = load(PROMETHEUS / "prometheus.yml")
    [job] = config["scrape_configs"]
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"{name}:8000" for name in gateway_services(spec)}
    assert job["authorization"]["type"] == "Bearer"
    [prometheus] = [spec["services"][n] for n in services_of_image(spec, "prom/prometheus:")]
    [secret] = prometheus["secrets"]
    assert job["authorization"]["credentials_file"] == f"/run/secrets/{secret}"
    assert spec["secrets"][secret] == {"environment": "GATEWAY_METRICS_TOKEN"}
    mounted = dict(v.split(":")[:2] for v in prometheus["volumes"] if v.startswith("./"))
    config_dir = Path(mounted["./prometheus/prometheus.yml"]).parent
    for rules in config["rule_files"]:
        assert mounted[f"./prometheus/{rules}"] == str(config_dir / rules)


def test_every_alert_is_labelled_described_waits_and_is_unit_tested() -> None:
    tests = load(PROMETHEUS / "alerts.test.yml")["tests"]
    cases = [case for test in tests for case in test["alert_rule_test"]]
    for rule in alert_rules():
        name = rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), name
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["description"], name
        mine = [case for case in cases if case["alertname"] == name]
        assert any(case["exp_alerts"] for case in mine), f"{name} never fires in a unit test"
        assert any(not case["exp_alerts"] for case in mine), f"{name} is never quiet in one"


def test_the_alerts_cover_what_the_operations_doc_says_to_alert_on() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text.split("## What to alert on", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"\bgateway_[a-z_]+\b", section))
    assert len(named) >= 10
    queried = set().union(*(promql_names(rule["expr"]) for rule in alert_rules()))
    assert named - queried == set()
    assert "up" in queried  # "/readyz 503 … on any instance": unreachable instances too


# --- metrics named in the dashboard and the alerts ------------------------------------------


def test_the_gateway_exports_the_process_metrics(exported: set[str]) -> None:
    assert exported >= PROCESS_METRICS, (
        f"a served gateway does not export {sorted(PROCESS_METRICS - exported)}: the "
        "dashboard's CPU, memory and file descriptor panels would be empty"
    )


def test_the_dashboard_and_alerts_name_only_metrics_the_gateway_exports(
    exported: set[str],
) -> None:
    unknown = {}
    for where, queries in (
        ("dashboard", dashboard_queries(dashboard())),
        ("alerts", [rule["expr"] for rule in alert_rules()]),
        ("alert unit tests", rule_test_series()),
    ):
        allowed = exported | (PROMETHEUS_MADE if where != "dashboard" else set())
        for query in queries:
            missing = promql_names(query) - allowed
            if missing:
                unknown[f"{where}: {query}"] = sorted(missing)
    assert unknown == {}


def test_promql_names_are_read_by_a_parser_not_a_pattern() -> None:
    """The check above sees names only in selectors: not functions, labels or durations."""
    expr = (
        'histogram_quantile(0.9, sum by (le, provider) (rate(a_bucket{status!="OK"}[5m])))'
        " / on (provider) group_left max_over_time(b[$__rate_interval]) > bool 2"
        ' or {__name__="c", le="0.5"} unless count(d offset 5m) by (rate)'
    )
    assert promql_names(expr) == {"a_bucket", "b", "c", "d"}


def test_the_dashboard_shows_every_gateway_metric(families: dict[str, set[str]]) -> None:
    queried = set().union(*map(promql_names, dashboard_queries(dashboard())))
    unshown = {
        family for family, samples in families.items()
        if family.startswith("gateway_") and not samples & queried
    }  # fmt: skip
    assert unshown == set()
    assert queried >= PROCESS_METRICS
    quantiles = [q for q in dashboard_queries(dashboard()) if "histogram_quantile" in q]
    for histogram in ("gateway_request_duration_seconds", "gateway_provider_call_duration_seconds"):
        assert any(f"{histogram}_bucket" in q for q in quantiles), histogram


def test_the_dashboard_is_well_formed_and_provisioned() -> None:
    board = dashboard()
    assert board["uid"] == "travel-gateway"
    panels = list(dashboard_panels(board))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    occupied: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    provisioning = DEPLOY / "grafana" / "provisioning"
    [source] = load(provisioning / "datasources" / "prometheus.yaml")["datasources"]
    assert variables["datasource"]["current"]["value"] == source["uid"]
    [prometheus] = services_of_image(compose(), "prom/prometheus:")
    assert source["url"] == f"http://{prometheus}:9090"
    [provider] = load(provisioning / "dashboards" / "travel-gateway.yaml")["providers"]
    [grafana] = services_of_image(compose(), "grafana/grafana")
    mounts = dict(v.split(":")[:2] for v in compose()["services"][grafana]["volumes"])
    assert str(Path(mounts["./grafana/dashboard.json"]).parent) == provider["options"]["path"]


# --- Kubernetes -----------------------------------------------------------------------------


KUBERNETES_VERSIONS = sorted(
    {kubernetes_validate.utils.all_versions()[0], kubernetes_validate.latest_version()}
)
"""The oldest and the newest Kubernetes kubernetes-validate knows."""


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(("name", "document"), manifests(), ids=[n for n, _ in manifests()])
def test_kubernetes_manifests_follow_the_kubernetes_schemas(
    name: str, document: dict[str, Any], version: str
) -> None:
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = "/".join(map(str, error.absolute_path))
        pytest.fail(f"{name} (Kubernetes {version}): {path}: {error.message}")


def test_kustomization_lists_every_manifest_and_the_image() -> None:
    kustomization = load(KUBERNETES / "kustomization.yaml")
    listed = set(kustomization["resources"])
    present = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present
    [image] = kustomization["images"]
    [container] = manifest("Deployment", "travel-gateway")["spec"]["template"]["spec"]["containers"]
    assert container["image"].rsplit(":", 1)[0] == image["name"]


def gateway_container() -> dict[str, Any]:
    [container] = manifest("Deployment", "travel-gateway")["spec"]["template"]["spec"]["containers"]
    found: dict[str, Any] = container
    return found


def test_gateway_probes_port_and_grace_period() -> None:
    pod = manifest("Deployment", "travel-gateway")["spec"]["template"]["spec"]
    container = gateway_container()
    settings = manifest("ConfigMap", "travel-gateway")["data"]
    port = int(settings.get("PORT", 8000))
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": port}
    for probe, path in (
        ("livenessProbe", "/healthz"),
        ("startupProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ):
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}, probe
    assert pod["terminationGracePeriodSeconds"] >= grace_needed_s(settings) + 5
    service = manifest("Service", "travel-gateway")["spec"]
    assert [p["targetPort"] for p in service["ports"]] == ["http"]
    assert service.get("sessionAffinity", "None") == "None"


def test_gateway_resources_fit_its_workers() -> None:
    resources = gateway_container()["resources"]
    workers = int(manifest("ConfigMap", "travel-gateway")["data"]["GATEWAY_WORKERS"])
    for kind in ("requests", "limits"):
        assert set(resources[kind]) == {"cpu", "memory"}, kind
    assert quantity(resources["limits"]["memory"]) >= workers * worker_ceiling_bytes()
    assert quantity(resources["requests"]["memory"]) <= quantity(resources["limits"]["memory"])
    assert quantity(resources["requests"]["cpu"]) >= workers  # one worker per core


def test_gateway_runs_unprivileged_on_a_read_only_root() -> None:
    pod = manifest("Deployment", "travel-gateway")["spec"]["template"]["spec"]
    container = gateway_container()
    context = container["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_kubernetes_settings_are_valid_and_the_secret_holds_placeholders_only() -> None:
    container = gateway_container()
    sources = {next(iter(s)): s[next(iter(s))]["name"] for s in container["envFrom"]}
    settings = manifest("ConfigMap", sources["configMapRef"])["data"]
    secret = manifest("Secret", sources["secretRef"])["stringData"]
    assert set(VALID_SECRETS) <= set(secret)
    assert not set(secret) & set(settings)
    loaded = Settings.from_env({**settings, **VALID_SECRETS})
    assert loaded.cache_url == "redis://redis:6379/0"
    for name in VALID_SECRETS:
        assert "REPLACE-ME" in secret[name], f"{name} is not a placeholder"
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({**settings, **VALID_SECRETS, name: secret[name]})


def test_service_autoscaler_and_disruption_budget_select_the_gateway_pods() -> None:
    deployment = manifest("Deployment", "travel-gateway")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert manifest("Service", "travel-gateway")["spec"]["selector"].items() <= labels.items()
    budget = manifest("PodDisruptionBudget", "travel-gateway")
    assert budget["apiVersion"] == "policy/v1"
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    autoscaler = manifest("HorizontalPodAutoscaler", "travel-gateway")
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    target = autoscaler["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "travel-gateway")
    assert autoscaler["spec"]["minReplicas"] >= 2
    [metric] = autoscaler["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"


def test_only_the_gateways_reach_redis() -> None:
    gateway_labels = manifest("Deployment", "travel-gateway")["spec"]["template"]["metadata"]
    redis_labels = manifest("Deployment", "redis")["spec"]["template"]["metadata"]["labels"]
    policy = manifest("NetworkPolicy", "redis")["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= redis_labels.items()
    [rule] = policy["ingress"]
    [source] = rule["from"]
    assert source["podSelector"]["matchLabels"].items() <= gateway_labels["labels"].items()
    assert not source["podSelector"]["matchLabels"].items() <= redis_labels.items()
    service = manifest("Service", "redis")["spec"]
    url = manifest("ConfigMap", "travel-gateway")["data"]["GATEWAY_CACHE_URL"]
    assert url == f"redis://redis:{service['ports'][0]['port']}/0"
