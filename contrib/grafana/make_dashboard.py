"""Writes contrib/grafana/lapor-gateway.json, the gateway's Grafana dashboard.

    python3 contrib/grafana/make_dashboard.py > contrib/grafana/lapor-gateway.json

Why a script rather than the JSON by hand: a dashboard is two dozen panels of the same
shape (datasource, grid position, targets, units), and written out by hand they drift
apart. Here each panel is one line of what matters — title, queries, unit — and the
layout, ids and datasource are filled in the same way for all. tests/test_monitoring.py
checks that the committed JSON is this script's output, and that every metric a query
names is one the gateway exports.

The datasource is the variable `DS_PROMETHEUS` (a Prometheus datasource picked from a
list when the dashboard is opened, or set by provisioning); `instance` picks gateways.
Standard library only: it runs with any python3.
"""
from __future__ import annotations

import json
import sys

DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
RATE = "$__rate_interval"
WIDTH = 24


def sel(metric: str, **labels: str) -> str:
    """`metric{instance=~"$instance", labels...}`; a value starting with ~ is a regex match."""
    matchers = ['instance=~"$instance"'] + [
        f'{k}=~"{v[1:]}"' if v.startswith("~") else f'{k}="{v}"' for k, v in labels.items()]
    return f"{metric}{{{', '.join(matchers)}}}"


def rate(metric: str, by: str = "instance", **labels: str) -> str:
    return f"sum by ({by}) (rate({sel(metric, **labels)}[{RATE}]))"


def quantile(q: float, metric: str, by: str = "instance") -> str:
    return f"histogram_quantile({q}, sum by ({by}, le) (rate({sel(metric + '_bucket')}[{RATE}])))"


UP_DOWN = [{"type": "value", "options": {"1": {"text": "up", "color": "green"},
                                         "0": {"text": "down", "color": "red"}}}]


def panel(title: str, targets: list[tuple[str, str]], *, kind: str = "timeseries", unit: str = "short",
          width: int = 12, height: int = 8, description: str = "", mappings=None,
          thresholds: list[tuple[float | None, str]] | None = None, stack: bool = False,
          text_mode: str = "auto") -> dict:
    """One panel; `targets` are (PromQL, legend) pairs; `text_mode` is a stat's ("name":
    the legend alone)."""
    steps = [{"value": v, "color": c} for v, c in (thresholds or [(None, "green")])]
    defaults = {"unit": unit, "mappings": mappings or [],
                "thresholds": {"mode": "absolute", "steps": steps}}
    if kind == "timeseries":
        defaults["custom"] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10 if stack else 0,
                              "showPoints": "never", "spanNulls": False,
                              "stacking": {"mode": "normal" if stack else "none", "group": "A"},
                              "thresholdsStyle": {"mode": "line" if thresholds else "off"}}
        options = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                   "tooltip": {"mode": "multi", "sort": "desc"}}
    elif kind == "stat":
        options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                   "colorMode": "value", "graphMode": "none", "justifyMode": "auto",
                   "orientation": "auto", "textMode": text_mode}
    else:  # state-timeline
        defaults["color"] = {"mode": "thresholds"}
        options = {"showValue": "never", "mergeValues": True, "rowHeight": 0.8,
                   "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
                   "tooltip": {"mode": "single", "sort": "none"}}
    return {"type": kind, "title": title, "description": description, "datasource": DATASOURCE,
            "gridPos": {"w": width, "h": height},
            "targets": [{"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr,
                         "legendFormat": legend, "range": True}
                        for i, (expr, legend) in enumerate(targets)],
            "fieldConfig": {"defaults": defaults, "overrides": []}, "options": options}


ROWS = [
    ("Overview", [
        panel("Version", [(sel("lapor_build_info"), "{{instance}} {{version}}")], kind="stat",
              width=6, height=4, text_mode="name",
              description="lapor_build_info: the version each gateway runs."),
        panel("Oldest pending complaint", [(sel("lapor_oldest_pending_complaint_age_seconds"),
                                            "{{instance}}")],
              kind="stat", unit="s", width=6, height=4,
              thresholds=[(None, "green"), (300, "orange"), (900, "red")],
              description="How long the oldest complaint the case store has not taken has waited."
                          " The LaporBacklogOld alert fires over 15 minutes."),
        panel("Database", [(sel("lapor_database_up"), "{{instance}}")], kind="stat", width=6,
              height=4, mappings=UP_DOWN, thresholds=[(None, "red"), (1, "green")],
              description="Whether our own database answered the scrape's counts."),
        panel("Refused mapping reloads (1 h)", [(f"increase({sel('lapor_mapping_reload_failures_total')}[1h])",
                                                 "{{instance}}")],
              kind="stat", width=6, height=4, thresholds=[(None, "green"), (1, "red")],
              description="SIGHUP reloads whose regions.yaml or config was refused; the old ones"
                          " stay in force."),
    ]),
    ("Intake", [
        panel("Messages accepted per channel /s",
              [(rate("lapor_messages_in_total", "channel", outcome="accepted"), "{{channel}}")],
              stack=True, description="Messages committed (new complaints), per channel."),
        panel("Redeliveries recognised per channel /s",
              [(rate("lapor_messages_in_total", "channel", outcome="duplicate"), "{{channel}}")],
              description="Messages an upstream delivered again: the same complaint, no second one."),
    ]),
    ("Backlog and case store", [
        panel("Backlog", [(sel("lapor_complaints", state="parsed"), "parsed (waiting for the case store) {{instance}}"),
                          (sel("lapor_complaints", state="received"), "received (not parsed yet) {{instance}}"),
                          (sel("lapor_forward_backlog"), "forwarder's memory {{instance}}")],
              description="Complaints not yet forwarded. lapor_forward_backlog stops at 2,000 (the"
                          " rest wait in the database): lapor_complaints{state=\"parsed\"} is the whole queue."),
        panel("Age of the oldest pending complaint",
              [(sel("lapor_oldest_pending_complaint_age_seconds"), "{{instance}}")], unit="s",
              thresholds=[(None, "transparent"), (900, "red")],
              description="0 when nothing waits; the red line is the alert's 15 minutes."),
        panel("Case store", [(sel("lapor_case_store_up"), "{{instance}} {{reason}}")],
              kind="state-timeline", mappings=UP_DOWN, thresholds=[(None, "red"), (1, "green")],
              description="One row per reason: up, down (failures), paused (its Retry-After), or it"
                          " refuses the gateway (unauthorized, forbidden, tls, dns: ops must act)."),
        panel("Forwarded and refused /s", [(rate("lapor_forwarded_total"), "forwarded {{instance}}"),
                                          (rate("lapor_forward_dead_total"), "refused: dead letters {{instance}}")],
              description="Complaints the case store took, and those it refused for good."),
        panel("Case store latency", [(quantile(0.5, "lapor_forward_seconds", "outcome"), "p50 {{outcome}}"),
                                     (quantile(0.99, "lapor_forward_seconds", "outcome"), "p99 {{outcome}}")],
              unit="s", description="Submit to answer, by outcome (forwarded, refused, failed)."),
        panel("Complaints by state", [(f"sum by (state) ({sel('lapor_complaints')})", "{{state}}")],
              description="received, parsed, forwarded, dead. Dead letters: `lapor-gateway complaints"
                          " list --state dead`."),
    ]),
    ("Replies", [
        panel("Replies by state", [(f"sum by (state) ({sel('lapor_replies', state='~queued|sending|sent|failed|uncertain')})",
                                    "{{state}}")],
              description="Replies not delivered yet, and those that failed or are in doubt"
                          " (`lapor-gateway replies list`)."),
        panel("Replies sent, in doubt, given up /s", [(rate("lapor_replies_sent_total"), "sent {{instance}}"),
                                                     (rate("lapor_replies_in_doubt_total"), "in doubt {{instance}}"),
                                                     (rate("lapor_replies_given_up_total"), "given up {{instance}}")],
              description="Replies handed to their channel; sends in doubt (each settled by its"
                          " channel); replies failed for good."),
        panel("Reply pauses per channel", [(sel("lapor_replies_paused_seconds"), "{{instance}} {{channel}}")],
              unit="s", description="Seconds until a channel may send again after a server's hint"
                                    " (429, retry_after, SMPP throttling)."),
        panel("Replies delivered", [(f"sum by (instance) ({sel('lapor_replies', state='delivered')})", "{{instance}}")],
              description="Replies the citizen's channel confirmed."),
    ]),
    ("SMS (SMPP)", [
        panel("Binds", [(sel("lapor_smpp_bound"), "{{instance}} {{bind}} {{role}}")], kind="state-timeline",
              mappings=UP_DOWN, thresholds=[(None, "red"), (1, "green")],
              description="Each bind's session; LaporSmsBindDown fires after 2 minutes down."),
        panel("Delivery receipts by status /s", [(rate("lapor_smpp_receipts_total", "status"), "{{status}}"),
                                                 (rate("lapor_smpp_receipts_unmatched_total"), "unmatched {{instance}}"),
                                                 (sel("lapor_smpp_receipts_parked"), "parked {{instance}}")],
              description="Receipts by their stat: field; receipts no reply matched; receipts waiting"
                          " for their reply's bookkeeping (a count, not a rate)."),
        panel("Window", [(sel("lapor_smpp_window_outstanding"), "outstanding {{bind}} {{role}}"),
                         (sel("lapor_smpp_window_size"), "size {{bind}} {{role}}")], width=8,
              description="Requests awaiting their response, against the window."),
        panel("Acknowledgement latency", [(quantile(0.5, "lapor_smpp_ack_seconds"), "p50 {{instance}}"),
                                          (quantile(0.99, "lapor_smpp_ack_seconds"), "p99 {{instance}}")],
              unit="s", width=8, description="deliver_sm in to deliver_sm_resp out (includes the commit)."),
        panel("Reconnects", [(f"sum by (instance, bind) (increase({sel('lapor_smpp_reconnects_total')}[{RATE}]))",
                              "{{instance}} {{bind}}")], width=8,
              description="Reconnects scheduled, per bind."),
    ]),
    ("X and Telegram", [
        panel("Pollers", [(sel("lapor_channel_up", channel="~x|telegram"), "{{instance}} {{channel}}")],
              kind="state-timeline", mappings=UP_DOWN, thresholds=[(None, "red"), (1, "green")], width=8,
              description="Whether each poller's last poll worked (they retry with backoff; X and"
                          " Telegram are not required for /readyz)."),
        panel("Messages from X and Telegram /s",
              [(rate("lapor_messages_in_total", "channel", channel="~x|telegram", outcome="accepted"), "{{channel}}")],
              width=8, description="Mentions of @lapor1708 and messages to the bot, committed."),
        panel("X polls that may have missed mentions (1 h)",
              [(f"increase({sel('lapor_x_polls_possibly_missed_total')}[1h])", "{{instance}}")], width=8,
              description="Polls that reached the API's 800 newest mentions before the stored"
                          " since_id: poll more often."),
    ]),
    ("The citizen's loop", [
        panel("Commands /s", [(rate("lapor_commands_total", "command, channel"), "{{command}} {{channel}}")],
              width=8, description="CEK, BANTUAN, STOP and MULAI sent as messages (not complaints),"
                                   " per channel; redeliveries not counted."),
        panel("Case store events /s", [(rate("lapor_case_events_total", "outcome"), "{{outcome}}")],
              width=8, description="Status events the case store pushed to POST /case-store/events:"
                                   " accepted, replay, or refused — bad_signature and stale mean a"
                                   " secret or a clock differs (LaporCaseEventsRefused)."),
        panel("Updates to citizens /s", [(rate("lapor_update_notices_total", "outcome"), "{{outcome}}")],
              width=8, description="What became of each stored event's notification: queued, or held"
                                   " back (stopped, capped, superseded, unchanged)."),
    ]),
    ("Instances", [
        panel("Work claimed", [(sel("lapor_claims_held"), "{{instance}} {{work}}")], width=12,
              description="Complaints and replies each instance holds, claimed on PostgreSQL; a dead"
                          " instance's are taken over when its claims run out (docs/operations.md)."),
        panel("Pollers run", [(sel("lapor_leader"), "{{instance}} {{job}}")], kind="state-timeline",
              mappings=[{"type": "value", "options": {"1": {"text": "polls", "color": "green"},
                                                      "0": {"text": "stands by", "color": "blue"}}}],
              thresholds=[(None, "blue"), (1, "green")], width=12,
              description="Which instance runs each channel's poller: one at a time."),
    ]),
    ("Process", [
        panel("CPU", [(f"rate({sel('process_cpu_seconds_total')}[{RATE}])", "{{instance}}")],
              unit="percentunit", width=6, description="One core is 100 %; the reactor uses one."),
        panel("Memory", [(sel("process_resident_memory_bytes"), "{{instance}}")], unit="bytes", width=6),
        panel("Open files", [(sel("process_open_fds"), "open {{instance}}"),
                             (sel("process_max_fds"), "limit {{instance}}")], width=6),
        panel("Watchdog", [(sel("lapor_watchdog_longest_ping_gap_seconds"), "longest gap (10 min) {{instance}}"),
                           (sel("lapor_watchdog_last_ping_age_seconds"), "last ping age {{instance}}"),
                           (sel("lapor_watchdog_interval_seconds"), "WatchdogSec {{instance}}")],
              unit="s", width=6, description="Pings go every half WatchdogSec; a gap near WatchdogSec"
                                             " is a near miss (LaporWatchdogNearMiss)."),
    ]),
]


def layout(rows) -> list[dict]:
    """Rows and their panels left to right, wrapping at the grid's width; ids in order."""
    panels, y = [], 0
    for title, row in rows:
        panels.append({"type": "row", "title": title, "collapsed": False, "panels": [],
                       "gridPos": {"h": 1, "w": WIDTH, "x": 0, "y": y}})
        y += 1
        x, line = 0, 0
        for p in row:
            w, h = p["gridPos"]["w"], p["gridPos"]["h"]
            if x + w > WIDTH:
                x, y = 0, y + line
                line = 0
            p["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
            x, line = x + w, max(line, h)
            panels.append(p)
        y += line
    for n, p in enumerate(panels, 1):
        p["id"] = n
    return panels


def dashboard() -> dict:
    return {
        "title": "LAPOR! gateway", "uid": "lapor-gateway", "schemaVersion": 39, "version": 1,
        "description": "lapor-gateway (SP4N-LAPOR! intake): intake, backlog, case store, replies,"
                       " SMS binds, pollers, process. Metrics: docs/operations.md.",
        "tags": ["lapor-gateway"], "editable": True, "graphTooltip": 1, "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"}, "timepicker": {}, "timezone": "", "links": [],
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                                  "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                                  "name": "Annotations & Alerts", "type": "dashboard"}]},
        "templating": {"list": [
            {"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource", "query": "prometheus",
             "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []},
            {"name": "instance", "label": "Gateway", "type": "query", "datasource": DATASOURCE,
             "query": {"query": "label_values(lapor_build_info, instance)", "refId": "instance"},
             "definition": "label_values(lapor_build_info, instance)", "includeAll": True,
             "multi": True, "current": {}, "hide": 0, "refresh": 2, "sort": 1, "regex": "",
             "options": []},
        ]},
        "panels": layout(ROWS),
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
