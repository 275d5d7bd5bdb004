"""When the FIT-Connect sender asks the event log for the receiver's confirmation.

The Submission API has no push to the sender: it polls ``GET /cases/{id}/events``.
Every poll costs both sides a request, and a receiver busy decrypting answers
later, so polling at a fixed short interval wastes most requests. The pacer
learns how long confirmations usually take (a moving average over this
connector's deliveries) and waits three quarters of that, at most
``poll_interval``, before the first question; after that it asks again after
5 ms, doubling up to ``poll_interval``. A redelivery (the case exists already)
asks at once.
"""

from __future__ import annotations

from collections.abc import Iterator

FIRST_POLL = 0.005
_SHARE = 0.75
_WEIGHT = 0.2


class Pacer:
    def __init__(self, poll_interval: float) -> None:
        self.poll_interval = poll_interval
        self.typical = 0.0  # seconds from submit to a seen confirmation

    def waits(self, *, fresh: bool) -> Iterator[float]:
        """Pauses before each poll: the learned first one, then 5 ms doubling."""
        yield min(_SHARE * self.typical, self.poll_interval) if fresh else 0.0
        pause = min(FIRST_POLL, self.poll_interval)
        while True:
            yield pause
            pause = min(pause * 2, self.poll_interval)

    def confirmed_after(self, seconds: float) -> None:
        if self.typical == 0.0:
            self.typical = seconds
        else:
            self.typical += _WEIGHT * (seconds - self.typical)
