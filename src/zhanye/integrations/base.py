"""What every provider call gets: a timeout, a circuit breaker, and a clear typed error.

A bank plugs its real provider in by configuration: ``ZHANYE_PROVIDER_<KIND>`` names an import
path ``package.module:factory``; the default is the deterministic sandbox of that kind.

    breaker = registry.breaker("identity.id_check")
    result = call_with_protection(breaker, lambda: provider.check(...), timeout_s=3)
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

from zhanye.core.errors import ProviderUnavailable

T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="provider")


class ProviderTimeout(ProviderUnavailable):
    code = "provider_timeout"
    title_zh = "外部服务响应超时"
    title_en = "An external service timed out"


class ProviderCircuitOpen(ProviderUnavailable):
    code = "provider_circuit_open"
    title_zh = "外部服务暂时不可用（熔断中），请稍后再试"
    title_en = "An external service is temporarily unavailable (circuit open); try again shortly"


class ProviderError(ProviderUnavailable):
    code = "provider_error"
    title_zh = "外部服务返回错误"
    title_en = "An external service returned an error"


@dataclass
class CircuitBreaker:
    """Closed → open after ``failure_threshold`` consecutive failures; after ``reset_after_s``
    one trial call is let through (half-open); success closes it, failure opens it again."""

    name: str
    failure_threshold: int = 5
    reset_after_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.reset_after_s:
            return "half_open"
        return "open"

    def before_call(self) -> None:
        with self._lock:
            if self.state == "open":
                raise ProviderCircuitOpen(f"{self.name} 熔断中", f"{self.name}: circuit open", provider=self.name)

    def on_success(self) -> None:
        with self._lock:
            self.failures = 0
            self.opened_at = None

    def on_failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self.state == "half_open" or self.failures >= self.failure_threshold:
                self.opened_at = self.clock()


def call_with_protection(breaker: CircuitBreaker, fn: Callable[[], T], *, timeout_s: float) -> T:
    """Run ``fn`` with a timeout through the breaker. A timeout or an exception counts as a
    failure and is raised as a typed ProviderUnavailable; domain answers (e.g. "no match") are
    results, not failures."""
    breaker.before_call()
    future = _pool.submit(fn)
    try:
        result = future.result(timeout=timeout_s)
    except FutureTimeout:
        future.cancel()
        breaker.on_failure()
        raise ProviderTimeout(f"{breaker.name} 在 {timeout_s:g} 秒内未响应",
                              f"{breaker.name} did not answer within {timeout_s:g} s", provider=breaker.name) from None
    except ProviderUnavailable:
        breaker.on_failure()
        raise
    except Exception as exc:  # noqa: BLE001 - any provider fault becomes a typed, clear error
        breaker.on_failure()
        raise ProviderError(f"{breaker.name} 调用失败：{exc.__class__.__name__}",
                            f"{breaker.name} failed: {exc.__class__.__name__}", provider=breaker.name) from exc
    breaker.on_success()
    return result


class Registry:
    """Provider instances by kind, built from configuration, and one breaker per name."""

    def __init__(self) -> None:
        self._providers: dict[str, Any] = {}
        self._defaults: dict[str, Callable[[], Any]] = {}
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def register_default(self, kind: str, factory: Callable[[], Any]) -> None:
        self._defaults[kind] = factory

    def get(self, kind: str) -> Any:
        with self._lock:
            if kind not in self._providers:
                configured = os.environ.get(f"ZHANYE_PROVIDER_{kind.upper().replace('.', '_')}")
                if configured:
                    module, _, attr = configured.partition(":")
                    factory = getattr(importlib.import_module(module), attr or "provider")
                else:
                    factory = self._defaults[kind]
                self._providers[kind] = factory()
            return self._providers[kind]

    def set(self, kind: str, provider: Any) -> None:
        """Replace a provider (tests, or a bank's wiring code)."""
        with self._lock:
            self._providers[kind] = provider

    def reset(self, kind: str | None = None) -> None:
        with self._lock:
            if kind is None:
                self._providers.clear()
                self._breakers.clear()
            else:
                self._providers.pop(kind, None)
                self._breakers.pop(kind, None)

    def breaker(self, name: str, *, failure_threshold: int = 5, reset_after_s: float = 30.0) -> CircuitBreaker:
        with self._lock:
            if name not in self._breakers:
                self._breakers[name] = CircuitBreaker(name, failure_threshold, reset_after_s)
            return self._breakers[name]


registry = Registry()
