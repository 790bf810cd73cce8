"""The SMS channel's figures for /metrics: each bind's state and window, its receipts.

Read from the objects at scrape time (the sessions keep these counts anyway); labels are
bind and role names, never a number.
"""
from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily


def smpp_metrics(channel):
    """Metric families for one `SmppChannel`."""
    labels = ["bind", "role"]
    bound = GaugeMetricFamily("lapor_smpp_bound", "1 while the session is bound.", labels=labels)
    window = GaugeMetricFamily("lapor_smpp_window_outstanding",
                               "Requests awaiting their response (window occupancy).", labels=labels)
    size = GaugeMetricFamily("lapor_smpp_window_size", "The window: most requests outstanding.",
                             labels=labels)
    reconnects = CounterMetricFamily("lapor_smpp_reconnects", "Reconnects scheduled since start.",
                                     labels=labels)
    for session in channel.sessions:
        key = [session.name, session.role]
        protocol = session.protocol
        bound.add_metric(key, 1 if session.bound else 0)
        window.add_metric(key, protocol.outstanding if protocol is not None else 0)
        size.add_metric(key, session.settings.window)
        reconnects.add_metric(key, session.reconnects)
    yield from (bound, window, size, reconnects)
    desk = channel.receipts
    if desk is not None:
        yield CounterMetricFamily("lapor_smpp_receipts_received", "Delivery receipts received.",
                                  value=desk.received)
        yield CounterMetricFamily("lapor_smpp_receipts_unmatched",
                                  "Receipts given up: no reply ever had their message id.",
                                  value=desk.unmatched)
        yield GaugeMetricFamily("lapor_smpp_receipts_parked",
                                "Receipts waiting for their reply's bookkeeping.", value=desk.parked)
