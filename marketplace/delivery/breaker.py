"""A circuit breaker per endpoint: stop hammering a receiver that is down.

Closed: every attempt goes through; ``threshold`` consecutive failures open it.
Open: no attempts until ``cooldown`` seconds have passed; then half-open.
Half-open: exactly one probe goes through; success closes, failure opens again
for another cool-down. Failures are ``Deferred`` results (down, slow, 5xx,
garbage); a ``Rejected`` submission means the endpoint answered and is no
failure of the endpoint. State lives in the engine's memory: a restart starts
closed, which costs at most ``threshold`` attempts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from marketplace.delivery.schemas import Breaker


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


@dataclass
class Breakers:
    threshold: int = 5
    cooldown: float = 60.0
    clock: Callable[[], float] = field(default=time.monotonic)
    _circuits: dict[str, _Circuit] = field(default_factory=dict)

    def state(self, endpoint: str) -> Breaker:
        circuit = self._circuits.get(endpoint) or _Circuit()
        if circuit.opened_at is None:
            return Breaker(state="closed", failures=circuit.failures)
        retry_at = circuit.opened_at + self.cooldown
        wall = time.time() + (retry_at - self.clock())
        if self.clock() < retry_at and not circuit.probing:
            return Breaker(state="open", failures=circuit.failures, retry_at=wall)
        return Breaker(state="half_open", failures=circuit.failures, retry_at=wall)

    def blocked(self) -> list[str]:
        """Endpoints that must not be claimed in bulk: open or half-open."""
        return [ep for ep, c in self._circuits.items() if c.opened_at is not None]

    def probe_due(self) -> list[str]:
        """Half-open endpoints whose single probe may start now."""
        now = self.clock()
        return [
            ep
            for ep, c in self._circuits.items()
            if c.opened_at is not None
            and not c.probing
            and now >= c.opened_at + self.cooldown
        ]

    def start_probe(self, endpoint: str) -> None:
        self._circuits.setdefault(endpoint, _Circuit()).probing = True

    def end_probe(self, endpoint: str) -> None:
        """A probe that ended without a result (shutdown): allow another one."""
        circuit = self._circuits.get(endpoint)
        if circuit is not None:
            circuit.probing = False

    def success(self, endpoint: str) -> None:
        self._circuits.pop(endpoint, None)

    def failure(self, endpoint: str) -> None:
        circuit = self._circuits.setdefault(endpoint, _Circuit())
        circuit.failures += 1
        circuit.probing = False
        if circuit.opened_at is not None or circuit.failures >= self.threshold:
            circuit.opened_at = self.clock()
