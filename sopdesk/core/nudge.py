"""When to start an after-commit job that drains a queue: at most two jobs per window in each process.

A job per committed transaction costs a queue write per request and a worker run per item. A job
that handles everything queued so far (mail delivery, search indexing) can serve many
transactions: the first commit of a quiet spell starts one at once (a lone request's work is done
without delay), and the commits that follow within the window share one more, started when the
window ends, late enough to see all of them committed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from huey.contrib.djhuey import HUEY

# A mail waits at most this long (plus the queue's polling) behind a burst of commits. Each job
# has a fixed cost (about 2 ms to index a batch and 4 ms to deliver one in-process, more under load):
# with a 0.5 s window four web processes started up to 16 jobs a second in a burst of creations,
# and the worker spent 1.5 ms of CPU per creation; with 2 s, 0.6 ms (bench/README.md).
WINDOW_SECONDS = 2.0


class Nudge:
    """Decide, per committed transaction, whether to start a delivery job now, later or not at all."""

    def __init__(self, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()  # a web process commits from several threads
        self._window_ends = float("-inf")
        self._has_trailing_job = False

    def delay(self) -> float | None:
        """Return in how many seconds a new job should run (0: now), or None when one already will."""
        now = self._clock()
        with self._lock:
            if now >= self._window_ends:
                self._window_ends = now + self._window
                self._has_trailing_job = False
                return 0.0
            if self._has_trailing_job:
                return None
            self._has_trailing_job = True
            return self._window_ends - now


class CoalescedJob:
    """Start a no-argument huey `task` after a commit, one run shared by a burst of commits (see `Nudge`)."""

    def __init__(self, task: Any, nudge: Nudge | None = None) -> None:
        self.task = task
        self.nudge = nudge or Nudge()

    def __call__(self) -> None:
        if HUEY.immediate:
            # Inline jobs (tests, SOPDESK_QUEUE_IMMEDIATE) have no queue to spare and cannot run later.
            self.task()
            return
        delay = self.nudge.delay()
        if delay == 0.0:
            self.task()
        elif delay is not None:
            self.task.schedule(delay=delay)
