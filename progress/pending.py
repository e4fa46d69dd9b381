"""What a learner gave while the database did not answer, kept in this server's memory until it does.

Each thing kept is the write itself (a callable that runs one idempotent use case: an answer names its attempt
and step, so sending it twice records it once), with what it is and when it was given. One queue per person and
store, in the order given; a later answer to the same step replaces the earlier one. Any browser session of
that person on this server sends the queue again (`flush`): a reload does not lose it.

What it does not do, and the learner is told so: it lives in this process only, so it is lost when the server
restarts and is not seen by another server; it is kept for at most `MAX_AGE`; when the registry is full,
`hold` refuses and nothing is kept.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Callable, Hashable

from progress.attempts import StaleAnswer
from progress.db import StoreUnavailable

log = logging.getLogger(__name__)
MAX_AGE = timedelta(hours=24)
MAX_PEOPLE = 5000
MAX_PER_PERSON = 20

Owner = tuple[str, str]  # (the store's URL, the person's id)


@dataclass
class Pending:
    key: Hashable  # what it answers, e.g. ("choice", attempt_id, step_no): a newer one with the same key replaces
    what: str  # "answer", "reflection" or "attestation": how the learner is told about it
    action: Callable[[], object]
    given_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    failures: int = 0  # times the database did not take it


@dataclass
class Flushed:
    saved: list[tuple[Pending, object]] = field(default_factory=list)  # with what the write returned
    stale: list[Pending] = field(default_factory=list)  # the step had been answered otherwise: nothing written
    failed: list[Pending] = field(default_factory=list)  # an unexpected error: dropped, the learner is told
    waiting: list[Pending] = field(default_factory=list)  # the database still does not answer: kept


class PendingAnswers:
    """Thread-safe and bounded; the clock is injectable for tests."""

    def __init__(self, max_people: int = MAX_PEOPLE, per_person: int = MAX_PER_PERSON,
                 max_age: timedelta = MAX_AGE, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.max_people, self.per_person, self.max_age, self.clock = max_people, per_person, max_age, clock
        self._queues: OrderedDict[Owner, list[Pending]] = OrderedDict()
        self._lock = threading.Lock()

    def hold(self, owner: Owner, entry: Pending) -> bool:
        """Keep `entry` at the end of the owner's queue (replacing one with its key). False when full."""
        with self._lock:
            self._expire()
            queue = self._queues.get(owner)
            if queue is None:
                if len(self._queues) >= self.max_people:
                    return False
                queue = self._queues[owner] = []
            same = [held for held in queue if held.key == entry.key]
            if not same and len(queue) >= self.per_person:
                return False
            queue[:] = [held for held in queue if held.key != entry.key] + [entry]
            return True

    def peek(self, owner: Owner) -> list[Pending]:
        with self._lock:
            self._expire()
            return list(self._queues.get(owner, ()))

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()

    def flush(self, owner: Owner) -> Flushed:
        """Send the owner's queue in order, each once. Stops at the first that the database does not take and
        keeps it and those after it. Two sessions flushing at once do not both send: the queue is taken out
        first, and what is left is put back unless a newer entry with its key was held meanwhile."""
        with self._lock:
            self._expire()
            queue = self._queues.pop(owner, [])
        result = Flushed()
        for index, entry in enumerate(queue):
            try:
                result.saved.append((entry, entry.action()))
            except StoreUnavailable:
                for waiting in queue[index:]:
                    waiting.failures += 1
                result.waiting = queue[index:]
                break
            except StaleAnswer:
                result.stale.append(entry)
            except Exception:  # a bug or a refusal the learner cannot fix by waiting: never retried forever
                log.exception("a kept answer could not be saved and is dropped")
                result.failed.append(entry)
        if result.waiting:
            with self._lock:
                newer = self._queues.get(owner, [])
                keys = {held.key for held in newer}
                self._queues[owner] = [w for w in result.waiting if w.key not in keys] + newer
        return result

    def _expire(self) -> None:
        cutoff = self.clock() - self.max_age
        for owner in [o for o, queue in self._queues.items() if all(e.given_at < cutoff for e in queue)]:
            del self._queues[owner]
        for queue in self._queues.values():
            queue[:] = [entry for entry in queue if entry.given_at >= cutoff]


REGISTRY = PendingAnswers()  # one per server process
