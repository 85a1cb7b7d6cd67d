"""Prometheus metrics of one service instance (its own registry, so tests can run several)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    PLATFORM_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from reward_service.verifiers.pool import PoolStats

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)


class _PoolCollector(Collector):
    """The verifier pool's health, read from the pool when scraped."""

    def __init__(self, read: Callable[[], PoolStats], alive: Callable[[], int]) -> None:
        self._read = read
        self._alive = alive

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        stats = self._read()
        restarts = CounterMetricFamily(
            "reward_verifier_worker_restarts",
            "Verifier workers replaced, by cause: timeout (killed at its task's deadline), "
            "cancelled (killed when its caller gave up), died (died running a task), lost "
            "(died between tasks)",
            labels=["cause"],
        )
        restarts.add_metric(["timeout"], stats.timeouts)
        restarts.add_metric(["cancelled"], stats.cancelled)
        restarts.add_metric(["died"], stats.deaths)
        restarts.add_metric(["lost"], stats.lost)
        yield restarts
        yield CounterMetricFamily(
            "reward_verifier_replays",
            "Comparisons run again because their worker died under them",
            value=stats.replays,
        )
        yield CounterMetricFamily(
            "reward_verifier_worker_start_failures",
            "Attempts to start a verifier worker that failed (spawn, initializer or probe)",
            value=stats.start_failures,
        )
        yield GaugeMetricFamily(
            "reward_verifier_workers_alive",
            "Verifier workers started, probed and able to take a comparison",
            value=self._alive(),
        )


class JudgeMetrics:
    """The LLM judge: HTTP calls and their latency, failures by kind, the circuit breaker."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "reward_judge_calls",
            "HTTP calls to the judge server, by outcome (ok, error)",
            ["outcome"],
            registry=registry,
        )
        self.call_seconds = Histogram(
            "reward_judge_call_seconds",
            "Latency of one HTTP call to the judge server",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "reward_judge_errors",
            "Judge failures by kind (timeout, unreachable, http_status, bad_reply, "
            "circuit_open, unparsable)",
            ["kind"],
            registry=registry,
        )
        self.breaker_state = Gauge(
            "reward_judge_breaker_state",
            "Circuit breaker of the judge: 0 closed, 1 half-open (a trial call), 2 open",
            registry=registry,
        )
        self.breaker_opened = Counter(
            "reward_judge_breaker_opened",
            "Times the judge's circuit breaker opened",
            registry=registry,
        )


class Metrics:
    """Every metric the service exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.request_seconds = Histogram(
            "reward_request_seconds",
            "Front-door call latency",
            ["door", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.request_errors = Counter(
            "reward_request_errors", "Calls refused, by error code", ["door", "code"], registry=r
        )
        self.stage_seconds = Histogram(
            "reward_stage_seconds",
            "Time per pipeline stage of a batch",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.results = Counter(
            "reward_results", "Results by status and reason", ["status", "reason"], registry=r
        )
        self.routes = Counter("reward_routes", "Results by route", ["route"], registry=r)
        self.cache_lookups = Counter(
            "reward_cache_lookups",
            "Cache lookups by level and outcome",
            ["level", "outcome"],
            registry=r,
        )
        self.cache_errors = Counter(
            "reward_cache_errors",
            "Cache calls that failed open, by operation",
            ["operation"],
            registry=r,
        )
        self.cache_seconds = Histogram(
            "reward_cache_seconds",
            "Latency of cache calls",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge("reward_in_flight", "Responses being scored now", registry=r)
        self.unscorable = Counter(
            "reward_unscorable",
            "Unscorable results by who caused them (response: penalised; data, "
            "infrastructure: masked) and reason",
            ["blame", "reason"],
            registry=r,
        )
        self.format_filtered_share = Gauge(
            "reward_format_filtered_share",
            "Share of the recent results the format filter rejected",
            registry=r,
        )
        self.format_alarms = Counter(
            "reward_format_alarms",
            "Times most recent results failed the format filter (a template setting is likely "
            "wrong)",
            registry=r,
        )
        self.build_info = Info(
            "reward_build", "Versions of the service and its verifiers", registry=r
        )
        # RSS, CPU seconds, open fds of this process; the Python version
        ProcessCollector(registry=r)
        r.register(PLATFORM_COLLECTOR)
        self.micro_batch_calls = Histogram(
            "reward_micro_batch_calls",
            "Calls coalesced into one micro-batch",
            buckets=SIZE_BUCKETS,
            registry=r,
        )
        self.micro_batch_requests = Histogram(
            "reward_micro_batch_requests",
            "Requests in one micro-batch",
            buckets=SIZE_BUCKETS,
            registry=r,
        )
        self.work_started = Counter(
            "reward_work_started",
            "Verification work run: worker-pool comparisons and judge questions",
            ["kind"],
            registry=r,
        )
        self.work_shared = Counter(
            "reward_work_shared",
            "Verification work another call already had in flight, awaited instead of run again",
            ["kind"],
            registry=r,
        )
        self.comparisons = Counter(
            "reward_comparisons",
            "Distinct symbolic comparisons by where they were decided (fast path or worker)",
            ["path"],
            registry=r,
        )
        self.judge = JudgeMetrics(r)

    def watch_pool(self, read: Callable[[], PoolStats], alive: Callable[[], int]) -> None:
        """Export the verifier pool's counters (``read``) and live workers (``alive``)."""
        self.registry.register(_PoolCollector(read, alive))

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
