"""Prometheus metrics of one service instance (its own registry, so tests can run several)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _PoolCollector(Collector):
    """Worker restarts, read from the pool when scraped."""

    def __init__(self, read: Callable[[], tuple[int, int]]) -> None:
        self._read = read

    def collect(self) -> Iterator[CounterMetricFamily]:
        timeouts, deaths = self._read()
        family = CounterMetricFamily(
            "reward_verifier_worker_restarts",
            "Verifier workers replaced, by cause",
            labels=["cause"],
        )
        family.add_metric(["timeout"], timeouts)
        family.add_metric(["died"], deaths)
        yield family


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
        self.judge = JudgeMetrics(r)

    def watch_pool(self, read: Callable[[], tuple[int, int]]) -> None:
        """Export worker restarts; ``read`` returns (timeouts, deaths) so far."""
        self.registry.register(_PoolCollector(read))

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
