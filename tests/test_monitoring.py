"""Monitoring shipped and tested (issue 14): the alerting rules pass promtool's check and
their unit tests, the Grafana dashboard is its generator's output and valid PromQL, and
every metric a rule or a panel names is one a running gateway exports — the daemon, with
every channel enabled, scraped over HTTP — as is every label a matcher tests. Every
metric family it exports is explained in docs/operations.md.

promtool comes from Debian's prometheus package (scripts/test-prometheus-setup): without
it these tests fail, they do not skip.
"""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from ruamel.yaml import YAML

from gateway.channels.registry import channel_kinds
from tests.notify_socket import NotifySocket
from tests.promql_names import matcher_labels, metric_names
from tests.support import REPO, Daemon, daemon_config, simulator_process, spawn, stop_all

RULES = REPO / "contrib" / "prometheus" / "lapor-gateway.rules.yml"
RULES_TEST = REPO / "contrib" / "prometheus" / "lapor-gateway.rules.test.yml"
DASHBOARD = REPO / "contrib" / "grafana" / "lapor-gateway.json"
GENERATOR = REPO / "contrib" / "grafana" / "make_dashboard.py"
OPERATIONS = REPO / "docs" / "operations.md"

#: series Prometheus makes itself for every target, not the gateway
PROMETHEUS_OWN = {"up"}
#: labels Prometheus adds to every series it scrapes
TARGET_LABELS = {"instance", "job"}
#: seconds systemd's watchdog is set to for the daemon under test (a ping every 2 s)
WATCHDOG_S = 4


def load_yaml(path: Path):
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def promtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is missing: run scripts/test-prometheus-setup (as root) or"
                    " apt-get install --no-install-recommends prometheus")
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=120)


def rules() -> list[dict]:
    return [rule for group in load_yaml(RULES)["groups"] for rule in group["rules"]]


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def dashboard_queries() -> list[str]:
    """Every PromQL expression in the dashboard: panel targets and the variables' queries."""
    queries = [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            inner = variable["query"]["query"]
            queries.append(inner.removeprefix("label_values(").rsplit(",", 1)[0])
    return queries


# -- reading metric names out of PromQL (tests/promql_names.py) --------------------------

@pytest.mark.parametrize("expr, names, labels", [
    ('sum without (state) (delta(lapor_complaints{state="dead"}[15m])) > 0'
     ' or increase(lapor_forward_dead_total[15m]) > 0',
     {"lapor_complaints", "lapor_forward_dead_total"}, {"lapor_complaints": {"state"}}),
    ('histogram_quantile(0.99, sum by (instance, le) (rate(lapor_smpp_ack_seconds_bucket'
     '{instance=~"$instance"}[$__rate_interval])))',
     {"lapor_smpp_ack_seconds_bucket"}, {"lapor_smpp_ack_seconds_bucket": {"instance"}}),
    ("time() - process_start_time_seconds offset 5m > 1e3 * 15",
     {"process_start_time_seconds"}, {}),
    ('a:recorded:rate / on (bind) group_left (role) up{job!~"x}{y", le="+Inf"} == bool 0',
     {"a:recorded:rate", "up"}, {"up": {"job", "le"}}),
])
def test_the_names_a_query_asks_for(expr, names, labels):
    assert metric_names(expr) == names
    assert matcher_labels(expr) == labels


# -- the rules ----------------------------------------------------------------------------

def test_the_rules_pass_promtool_check():
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules())} rules found" in checked.stdout


def test_the_rules_unit_tests_pass():
    tested = promtool("test", "rules", str(RULES_TEST))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_has_a_case_that_fires_it_and_annotations_that_say_what_to_do():
    cases = load_yaml(RULES_TEST)["tests"]
    fired = {case["alertname"] for group in cases for case in group.get("alert_rule_test", ())
             if case.get("exp_alerts")}
    alerts = {rule["alert"] for rule in rules()}
    assert alerts - fired == set()
    for rule in rules():
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        # what to do: a command to run, or the metric to look at next
        description = rule["annotations"]["description"]
        assert "`" in description or "lapor_" in description, rule["alert"]
    # The cases issue 14 asks for by name.
    refusing = [g for g in cases if any(c["alertname"] == "LaporCaseStoreRefusesGateway"
                                        and c.get("exp_alerts") for c in g["alert_rule_test"])]
    assert any('reason="unauthorized"' in s["series"] and s["values"].startswith("0")
               for g in refusing for s in g["input_series"])


# -- the dashboard ------------------------------------------------------------------------

def test_the_dashboard_is_its_generators_output():
    made = subprocess.run([sys.executable, str(GENERATOR)], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    assert made == DASHBOARD.read_text(encoding="utf-8"), \
        "run: python3 contrib/grafana/make_dashboard.py > contrib/grafana/lapor-gateway.json"


def test_the_dashboard_reads_from_the_chosen_prometheus_and_its_panels_do_not_overlap():
    board = dashboard()
    assert 36 <= board["schemaVersion"] <= 41
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert variables["DS_PROMETHEUS"]["query"] == "prometheus"
    panels = [p for p in board["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])
    taken: set[tuple[int, int]] = set()
    for p in board["panels"]:
        g = p["gridPos"]
        cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert g["x"] + g["w"] <= 24 and not cells & taken, p["title"]
        taken |= cells
    for p in panels:
        assert p["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, p["title"]
        assert p["targets"] and all(t["datasource"] == p["datasource"] for t in p["targets"])


def test_the_dashboard_shows_what_ops_asked_for():
    names = set().union(*map(metric_names, dashboard_queries()))
    for metric in ("lapor_messages_in_total", "lapor_forward_backlog", "lapor_complaints",
                   "lapor_oldest_pending_complaint_age_seconds", "lapor_case_store_up",
                   "lapor_replies", "lapor_smpp_receipts_total", "lapor_smpp_bound",
                   "lapor_channel_up", "lapor_x_polls_possibly_missed_total",
                   # the citizen's loop (issue 16) and several instances (issue 15)
                   "lapor_commands_total", "lapor_case_events_total", "lapor_update_notices_total",
                   "lapor_claims_held", "lapor_leader"):
        assert metric in names


def test_every_dashboard_query_is_valid_promql(tmp_path):
    """promtool checks each query as the expression of a recording rule, with Grafana's
    variables given values."""
    exprs = [q.replace("$__rate_interval", "5m").replace("$instance", ".*") for q in dashboard_queries()]
    rules_file = tmp_path / "dashboard.rules.yml"
    out = io.StringIO()
    YAML(typ="safe").dump({"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{n}", "expr": expr} for n, expr in enumerate(exprs)]}]}, out)
    rules_file.write_text(out.getvalue())
    checked = promtool("check", "rules", str(rules_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr


# -- what the gateway exports -------------------------------------------------------------

@pytest.fixture(scope="module")
def scrape(tmp_path_factory) -> str:
    """/metrics of `lapor-gateway run` with every channel enabled — SMS bound to the
    bundled SMSC simulator, X and Telegram polling the fake APIs, the local HTTP channel —
    under a fake systemd with a watchdog, after three SMS went through."""
    tmp = tmp_path_factory.mktemp("scrape")
    sms = [{"from": f"6281600000{n:03d}", "text": f"PekalonganKota Jalan rusak no {n}"} for n in range(3)]
    sim, sim_port = simulator_process(tmp, sms)
    fakes = spawn([sys.executable, "-m", "gateway.demo_fakes.serve", "--sent-log",
                              str(tmp / "sent.jsonl")], cwd=REPO, stdout=subprocess.PIPE, text=True)
    notify = NotifySocket()
    daemon = None
    try:
        apis = json.loads(fakes.stdout.readline())
        daemon = Daemon(daemon_config(tmp, f"""[http]
port = 0
[channels.http]
enabled = true
port = 0
[channels.smpp]
enabled = true
[[channels.smpp.binds]]
port = {sim_port}
[channels.x]
enabled = true
account_id = "{apis['account_id']}"
api_base_url = "{apis['x']}"
[channels.telegram]
enabled = true
api_base_url = "{apis['telegram']}"
"""), env={"LAPOR_SMPP_PASSWORD": "secret", "LAPOR_X_BEARER_TOKEN": "t", "LAPOR_X_CONSUMER_KEY": "k",
           "LAPOR_X_CONSUMER_SECRET": "s", "LAPOR_X_ACCESS_TOKEN": "a",
           "LAPOR_X_ACCESS_TOKEN_SECRET": "b", "LAPOR_TELEGRAM_TOKEN": apis["telegram_token"],
           **notify.env(watchdog_s=WATCHDOG_S)})
        daemon.start(until="http server listening")
        port = daemon.lines[-1]["port"]
        daemon.wait_for_count({"reply outcome"}, len(sms))
        notify.expect("READY")
        notify.expect("WATCHDOG")   # two pings: a gap between them to show
        notify.expect("WATCHDOG")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            text = response.read().decode()
        assert daemon.terminate() == 0
        return text
    finally:
        stop_all([daemon] if daemon else [], sim, fakes)
        notify.close()


def families(text: str) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(text)}


#: the sample names each family type is queried by
SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "untyped": ("",), "unknown": ("",),
            "histogram": ("_bucket", "_sum", "_count", "_created"), "summary": ("", "_sum", "_count", "_created"),
            "info": ("_info",)}


def sample_names(text: str) -> dict[str, set[str]]:
    """{name a query may use: the label names its series carry}."""
    names: dict[str, set[str]] = {}
    for family in families(text).values():
        for suffix in SUFFIXES[family.type]:
            names.setdefault(family.name + suffix, set())
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


def test_every_channel_is_enabled_in_the_scraped_gateway(scrape):
    channels = {s.labels["channel"] for s in families(scrape)["lapor_channel_up"].samples}
    assert {kind.name for kind in channel_kinds().values()} <= channels


@pytest.mark.parametrize("source", ["rules", "dashboard"])
def test_every_metric_and_label_queried_is_exported(scrape, source):
    exprs = [r["expr"] for r in rules()] if source == "rules" else dashboard_queries()
    exported = sample_names(scrape)
    asked = set().union(*map(metric_names, exprs)) - PROMETHEUS_OWN
    assert asked - set(exported) == set()
    for expr in exprs:
        for name, labels in matcher_labels(expr).items():
            if name not in PROMETHEUS_OWN:
                assert labels - TARGET_LABELS <= exported[name], (name, expr)


def test_every_exported_metric_is_explained_in_the_operations_guide(scrape):
    guide = OPERATIONS.read_text(encoding="utf-8")
    undocumented = []
    exported = families(scrape)
    for family in exported.values():
        # prometheus_client adds `<counter or histogram>_created` (when the series began).
        if family.name.endswith("_created") and exported.get(family.name.removesuffix("_created"),
                                                               None) is not None:
            continue
        # Documented by the name a query uses: counters with _total, others as exported.
        name = family.name + ("_total" if family.type == "counter" else "")
        if not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", guide):
            undocumented.append(name)
    assert undocumented == [], undocumented


def test_the_scrape_shows_the_version_the_process_and_the_watchdog(scrape):
    from gateway.metrics import version
    m = {(s.name, tuple(sorted(s.labels.items()))): s.value
         for f in families(scrape).values() for s in f.samples}
    assert m[("lapor_build_info", (("version", version()),))] == 1
    assert version() != "unknown"      # installed: the version is the package's
    assert m[("process_resident_memory_bytes", ())] > 0
    assert m[("process_open_fds", ())] > 0
    assert m[("lapor_watchdog_interval_seconds", ())] == WATCHDOG_S
    assert 0 < m[("lapor_watchdog_longest_ping_gap_seconds", ())] < WATCHDOG_S
    assert 0 <= m[("lapor_watchdog_last_ping_age_seconds", ())] < WATCHDOG_S
    # every complaint state and routing status is a series, 0 included
    assert m[("lapor_complaints", (("state", "dead"),))] == 0
    assert m[("lapor_complaints_by_routing", (("routing", "ambiguous"),))] == 0
    assert ("lapor_oldest_pending_complaint_age_seconds", ()) in m
