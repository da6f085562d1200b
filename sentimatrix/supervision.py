"""Keeping the processes of ``manage.py runstack`` alive: web, beat and the workers.

A worker is restarted, with the reason printed, when its process exits (killed by the
kernel's OOM killer, a crash) or when it stops taking tasks: every ``probe_interval`` seconds
a ``system.worker_ping`` is sent to the worker's own queue, and a probe left unanswered for
``stall_after`` seconds while none of the worker's processes is inside a task younger than
the hard time limit means the worker is stuck. Web and beat are not restarted: their exit
stops the stack, as a broken configuration would otherwise loop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from sentimatrix import worker_state
from sentimatrix.embedded_db import pid_alive
from sentimatrix.mongo import collection
from sentimatrix.tasks import worker_ping

# A worker that exits this many times in a row, each within ``QUICK_EXIT_SECONDS`` of its
# start, has a problem a restart will not mend: the stack stops and says so.
QUICK_EXITS_BEFORE_GIVING_UP = 5
QUICK_EXIT_SECONDS = 10.0


def probe_queue(name: str) -> str:
    """The queue only worker ``name`` reads, where its probes go."""
    return f"probe.{name}"


def exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


@dataclass
class Child:
    """One process of the stack; ``worker`` children are restarted, the others are not."""

    name: str
    cmd: list[str]
    worker: bool = False
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_exits: int = 0
    probe_token: str | None = None
    probe_sent_at: float = 0.0
    restarts: list[str] = field(default_factory=list)


class Supervisor:
    """Starts the children and, on each :meth:`check`, restarts workers that died or stalled.

    ``send_probe_fn(name, token)`` sends the ping to the worker's probe queue;
    ``probe_answered_fn`` tells whether a token was answered (both injectable).
    """

    def __init__(
        self,
        children: list[Child],
        env: dict[str, str],
        *,
        say: Callable[[str], None],
        probe_interval: float,
        stall_after: float,
        task_time_limit: float,
        send_probe_fn: Callable[[str, str], None] | None = None,
        probe_answered_fn: Callable[[str], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.children = children
        self.env = env
        self.say = say
        self.probe_interval = probe_interval
        self.stall_after = stall_after
        self.task_time_limit = task_time_limit
        self.send_probe = send_probe_fn or send_probe
        self.probe_answered = probe_answered_fn or probe_answered
        self.clock = clock

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        env = dict(self.env)
        if child.worker:
            env[worker_state.NAME_VARIABLE] = child.name
            worker_state.forget(child.name)
        # Own process group: a stuck worker is ended with its pool processes.
        child.proc = subprocess.Popen(child.cmd, env=env, start_new_session=True)
        child.started_at = self.clock()
        child.probe_token = None

    def check(self) -> str | None:
        """Restart what needs it; return why the whole stack must stop, if it must."""
        for child in self.children:
            code = child.proc.poll() if child.proc else None
            if code is not None:
                if not child.worker:
                    return f"The {child.name} process {exit_reason(code)}; stopping the others."
                quick = self.clock() - child.started_at < QUICK_EXIT_SECONDS
                child.quick_exits = child.quick_exits + 1 if quick else 0
                if child.quick_exits >= QUICK_EXITS_BEFORE_GIVING_UP:
                    return (
                        f"The {child.name} process {exit_reason(code)} {child.quick_exits} times in a row "
                        "right after starting; stopping the others."
                    )
                self._restart(child, exit_reason(code))
            elif child.worker:
                self._probe(child)
        return None

    def _probe(self, child: Child) -> None:
        now = self.clock()
        if child.probe_token is None:
            if now - max(child.started_at, child.probe_sent_at) >= self.probe_interval:
                child.probe_token = f"probe-{child.name}-{uuid.uuid4().hex}"
                child.probe_sent_at = now
                self.send_probe(child.name, child.probe_token)
            return
        if self.probe_answered(child.probe_token):
            child.probe_token = None
            child.quick_exits = 0
            return
        waited = now - child.probe_sent_at
        if waited >= self.stall_after and not inside_a_task(child.name, self.task_time_limit):
            self._restart(child, f"took no task for {waited:.0f} s (its probe went unanswered)")

    def _restart(self, child: Child, reason: str) -> None:
        message = f"The {child.name} process {reason}; restarting it."
        child.restarts.append(message)
        self.say(message)
        if child.proc is not None and child.proc.poll() is None:
            end_group(child.proc, timeout=5)
        self._spawn(child)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM every child's group, then SIGKILL what is left after ``timeout``."""
        for child in self.children:
            if child.proc is not None and child.proc.poll() is None:
                _signal_group(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"The {child.name} process did not stop in time; killing it.")
                end_group(child.proc, timeout=0)


def inside_a_task(name: str, task_time_limit: float) -> bool:
    """Whether a live process of worker ``name`` runs a task younger than the hard limit."""
    oldest = timezone.now() - timedelta(seconds=task_time_limit)
    for busy in worker_state.busy_tasks(name):
        started = busy["started_at"]
        if pid_alive(busy["pid"]) and started >= oldest:
            return True
    return False


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def end_group(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM the process group, SIGKILL it after ``timeout`` seconds, and reap the leader."""
    if timeout > 0 and proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    _signal_group(proc, signal.SIGKILL)
    proc.wait()


def send_probe(name: str, token: str) -> None:
    """Send a ``system.worker_ping`` carrying ``token`` to worker ``name``'s own queue."""
    worker_ping.apply_async(args=[token], queue=probe_queue(name), expires=3600)


def probe_answered(token: str) -> bool:
    return collection(worker_state.COLLECTION).find_one({"_id": token}, {"_id": 1}) is not None
