"""What the supervisor does when a part dies once the cluster runs.

A shop node, a task worker or a node's metrics listener that dies is started again, as a
shop owner expects of a crashed process: after a pause that doubles with each restart of
that part (1, 2, 4, 8, 16 s), at most ``RestartPolicy.limit`` times within
``RestartPolicy.window`` seconds; one more death in that window means it cannot stay up
(a bad release, a full disk), and the supervisor gives up on it and says why. Every
restart is written to the supervisor's log. The shared parts (PostgreSQL, Redis, nginx,
the processor, the SMTP sink) are not restarted: a stateful server that died needs a
person (the primary's data, a standby to promote), so their death stops everything, as
does giving up (``Supervisor.why_stop``, asked by ``python -m cluster``).

The supervisor watches from a thread of its own, so the tests that use the cluster as a
library see a killed node come back too; it never stops anything itself.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .processes import ClusterError, Part

# The parts of one node: stateless, safe to start again as they were.
RESTARTED = ("node-", "worker-", "metrics-")


def restartable(name: str) -> bool:
    return name.startswith(RESTARTED)


@dataclass(frozen=True)
class RestartPolicy:
    """At most ``limit`` restarts of one part within ``window`` seconds, the first after
    ``first_delay`` seconds and each next one after twice the last, up to ``max_delay``."""

    limit: int = 5
    window: float = 60.0
    first_delay: float = 1.0
    max_delay: float = 16.0

    def delay(self, recent_restarts: int) -> float:
        return float(min(self.first_delay * 2**recent_restarts, self.max_delay))


@dataclass(frozen=True)
class Restart:
    """One restart: which part, how it ended, when the supervisor saw it dead (monotonic
    seconds) and when the new one was up."""

    name: str
    exit_code: int | None
    seen_dead: float
    back: float

    @property
    def seconds(self) -> float:
        return self.back - self.seen_dead


class Supervisor:
    """Looks at every part each ``interval`` seconds (``step``) and starts a dead
    restartable one again with ``restart(name)``."""

    def __init__(
        self,
        *,
        parts: Callable[[], Mapping[str, Part]],
        restart: Callable[[str], object],
        policy: RestartPolicy | None = None,
        say: Callable[[str], None] | None = None,
        log: Path | None = None,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._parts = parts
        self._restart = restart
        self.policy = policy or RestartPolicy()
        self._say = say or (lambda line: None)
        self.log = log
        self.interval = interval
        self._clock = clock
        self.restarts: list[Restart] = []
        # Why it gave up on a part that kept dying (it then restarts that part no more).
        self.gave_up: str | None = None
        self._given_up: set[str] = set()
        # Parts stopped on purpose (``hold``): left stopped until started by hand.
        self._held: set[str] = set()
        # ``step`` (the thread) and ``forget`` (a caller starting a part) take turns.
        self._lock = threading.Lock()
        # Per part: when it was restarted (within the window), and a restart it waits for.
        self._history: dict[str, deque[float]] = {}
        self._waiting: dict[str, tuple[Part, float, float]] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ the thread
    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="cluster-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """No restart starts after this returns (one under way is waited for)."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=300)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _watch(self) -> None:
        while not self._stopping.wait(self.interval):
            self.step()

    # ------------------------------------------------------------ one look
    def step(self) -> None:
        with self._lock:
            for name, part in list(self._parts().items()):
                if self._stopping.is_set():
                    return
                self._look_at(name, part)

    def _look_at(self, name: str, part: Part) -> None:
        if not restartable(name) or name in self._given_up or name in self._held:
            return
        if part.alive():
            # Started again by someone else (a check calling ``start_node``).
            self._waiting.pop(name, None)
            return
        waiting = self._waiting.get(name)
        if waiting is None or waiting[0] is not part:
            self._schedule(name, part)
        elif self._clock() >= waiting[2]:
            self._restart_now(name, part, seen_dead=waiting[1])

    def _recent(self, name: str, now: float) -> deque[float]:
        history = self._history.setdefault(name, deque())
        while history and history[0] <= now - self.policy.window:
            history.popleft()
        return history

    def _schedule(self, name: str, part: Part) -> None:
        now = self._clock()
        recent = self._recent(name, now)
        code = part.process.returncode
        if len(recent) >= self.policy.limit:
            self._given_up.add(name)
            self.gave_up = (
                f"{name} died again (exit {code}) after {len(recent)} restarts within "
                f"{self.policy.window:g} s: it does not stay up, so the supervisor gave up on "
                f"it; see {part.log}:\n{part.tail(15)}"
            )
            self._note(f"{name} died (exit {code}); restart limit reached, not restarting")
            return
        delay = self.policy.delay(len(recent))
        self._waiting[name] = (part, now, now + delay)
        self._note(
            f"{name} died (exit {code}); restarting it in {delay:g} s "
            f"(restart {len(recent) + 1} of at most {self.policy.limit} "
            f"in {self.policy.window:g} s)"
        )

    def _restart_now(self, name: str, part: Part, *, seen_dead: float) -> None:
        del self._waiting[name]
        now = self._clock()
        self._recent(name, now).append(now)
        try:
            self._restart(name)
        except ClusterError as error:
            # The next look sees the new process dead and counts it against the limit.
            self._note(f"{name} did not start again: {error}")
            return
        back = self._clock()
        self.restarts.append(
            Restart(name=name, exit_code=part.process.returncode, seen_dead=seen_dead, back=back)
        )
        self._note(f"{name} restarted ({back - seen_dead:.1f} s after it was seen dead)")

    def hold(self, name: str) -> None:
        """Leave the part called ``name`` stopped when it stops (an operator stopped it on
        purpose), until it is started by hand (``forget``)."""
        with self._lock:
            self._held.add(name)
            self._waiting.pop(name, None)

    def forget(self, name: str) -> None:
        """A part started by hand (not by the supervisor) starts with a clean slate: no
        restart waiting, none counted, not given up on, not held."""
        with self._lock:
            self._held.discard(name)
            self._history.pop(name, None)
            self._waiting.pop(name, None)
            if name in self._given_up:
                self._given_up.discard(name)
                self.gave_up = None

    def why_stop(self) -> str | None:
        """Why the whole cluster must stop: a shared part died, or a part kept dying."""
        if self.gave_up is not None:
            return self.gave_up
        dead = [
            name
            for name, part in list(self._parts().items())
            if not restartable(name) and not part.alive()
        ]
        if dead:
            return f"{', '.join(dead)} stopped (a shared part is not restarted)"
        return None

    def _note(self, line: str) -> None:
        self._say(line)
        if self.log is not None:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            with self.log.open("a") as log:
                log.write(f"{stamp} {line}\n")
