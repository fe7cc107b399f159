"""Each worker's process and garbage-collector metrics under `serve --workers N`.

prometheus-client's `ProcessCollector` and `GCCollector` read the process they run in, and in
multiprocess mode a scrape is answered by one worker from the files every worker writes: they
would show that worker alone, as if it were all of them. So each worker writes its own values
to `liveall` gauges instead (the multiprocess collector labels them with the worker's `pid`, and
removes them with the worker's files when the supervisor marks it dead), and `Retyped` gives
them back prometheus-client's standard names and types when scraped: `process_cpu_seconds_total`
and `python_gc_*_total` are counters, as from the standard collectors.

Values are refreshed every `REFRESH_S` by a thread of each worker (one that still runs when the
worker's event loop is stuck, which is when its CPU matters), and by the worker answering a
scrape just before it reads the files.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge, ProcessCollector
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

REFRESH_S = 5.0
"""Age of another worker's values at most, against Prometheus' usual 15 s between scrapes; a
refresh reads three small /proc files and lists the worker's descriptors (~0.1 ms)."""
PROCESS = {
    "process_cpu_seconds": "Total user and system CPU time spent in seconds.",
    "process_resident_memory_bytes": "Resident memory size in bytes.",
    "process_virtual_memory_bytes": "Virtual memory size in bytes.",
    "process_start_time_seconds": "Start time of the process since unix epoch in seconds.",
    "process_open_fds": "Number of open file descriptors.",
    "process_max_fds": "Maximum number of open file descriptors.",
}
"""prometheus-client's ProcessCollector families, by name without `_total`."""
GC = {
    "python_gc_objects_collected": ("collected", "Objects collected during gc"),
    "python_gc_objects_uncollectable": ("uncollectable", "Uncollectable objects found during GC"),
    "python_gc_collections": ("collections", "Number of times this generation was collected"),
}
"""prometheus-client's GCCollector families: the `gc.get_stats()` key and the help."""
COUNTERS = frozenset({"process_cpu_seconds", *GC})
"""Stored as gauges (the only multiprocess type with a pid label), scraped as counters."""
log = logging.getLogger(__name__)


class WorkerProcessMetrics:
    """This worker's process and GC values, written to the multiprocess directory."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._process = ProcessCollector(registry=None)
        self._gauges = {
            name: Gauge(name, help_text, multiprocess_mode="liveall", registry=registry)
            for name, help_text in PROCESS.items()
        }
        self._gc = {
            name: Gauge(name, help_text, ["generation"], multiprocess_mode="liveall",
                        registry=registry)
            for name, (_, help_text) in GC.items()
        }  # fmt: skip
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> None:
        for family in self._process.collect():
            gauge = self._gauges.get(family.name)
            if gauge is not None and family.samples:
                gauge.set(family.samples[0].value)
        for generation, stats in enumerate(gc.get_stats()):
            for name, (key, _) in GC.items():
                self._gc[name].labels(str(generation)).set(stats[key])

    def start(self) -> None:
        """Refresh now, then every `REFRESH_S` from a daemon thread (once per process)."""
        self.refresh()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="worker-process-metrics", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        logged = False
        while not self._stop.wait(REFRESH_S):
            try:
                self.refresh()
            except Exception:  # logged once: a lasting failure would write a line every 5 s
                if not logged:
                    log.exception("refreshing the worker's process metrics failed; retrying")
                    logged = True


class Retyped(Collector):
    """Another collector's families, with `COUNTERS` turned back into counters."""

    def __init__(self, inner: Collector) -> None:
        self.inner = inner

    def collect(self) -> Iterator[Metric]:
        for family in self.inner.collect():
            yield _counter(family) if family.name in COUNTERS else family


def _counter(family: Metric) -> Metric:
    counter = Metric(family.name, family.documentation, "counter")
    for sample in family.samples:
        counter.add_sample(f"{family.name}_total", sample.labels, sample.value)
    return counter
