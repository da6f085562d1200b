"""Workers killed as the OOM killer would, under ``manage.py runstack``: the stack restarts
them, says why, and the running scrape still completes; a worker frozen with its pool is
found by the probe and restarted; SIGTERM still stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from scraping import job_progress, jobs
from scraping.models import JobStatus
from sentimatrix import worker_state
from sentimatrix.mongo import collection
from sentimatrix.tasks import worker_ping
from tests.conftest import playback_env
from tests.factories import add_steam_target, make_project, make_user
from tests.playback import serve_steam, steam_reviews
from tests.test_jobs import finished
from tests.workers import ROOT, WorkerProcess, child_env, end_process, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid``, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the ppid follows the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Stack:
    """``manage.py runstack --without-web`` on the test database."""

    def __init__(self, log: Path, var_dir: Path, **env: str):
        self.log_path = log
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runstack", "--without-web", "--skip-setup", "--worker-concurrency", "2"],
            cwd=ROOT, env=child_env(SENTIMATRIX_VAR_DIR=str(var_dir), **env),
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def workers(self) -> list[int]:
        return [pid for pid in children_of(self.proc.pid) if " worker " in cmdline(pid)]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        end_process(self.proc, signal.SIGTERM, 60, group=True)
        self._log.close()
        return self.proc.returncode


def tasks_run_within(timeout: float) -> bool:
    """Whether a worker runs a ping within ``timeout`` seconds. A new ping goes out every few
    seconds: the broker's message is gone once a worker fetched it, so one handed to a frozen
    pool dies with it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        token = f"ping-{uuid.uuid4().hex}"
        worker_ping.delay(token)
        try:
            wait_for(lambda: collection("worker_heartbeats").find_one({"_id": token}), timeout=5)  # noqa: B023
            return True
        except AssertionError:
            continue
    return False


def test_killed_workers_are_restarted_and_the_running_scrape_completes(httpserver, output_dir, tmp_path):
    recorded = len(steam_reviews())
    serve_steam(httpserver, 4201, page_size=10)
    serve_steam(httpserver, 4202, page_size=10)
    user = make_user()
    project = make_project(user, max_reviews_per_target=1000, rate_limit_delay=0.3)
    targets = [add_steam_target(project, 4201), add_steam_target(project, 4202)]
    stack = Stack(
        output_dir / "stack-killed.log", tmp_path,
        **playback_env(httpserver), SCRAPE_REAPER_INTERVAL_SECONDS="2", SCRAPE_HEARTBEAT_STALE_SECONDS="5",
    )  # fmt: skip
    try:
        wait_for(lambda: len(stack.workers()) == 2, timeout=60)
        job = jobs.start_job(project, triggered_by=user)
        wait_for(
            lambda: all(collection("results").count_documents({"target_id": t.pk}) >= 10 for t in targets),
            timeout=90,
        )
        killed = stack.workers()
        assert len(killed) == 2
        for pid in killed:
            os.kill(pid, signal.SIGKILL)  # what the OOM killer does
        # Restarted, the reaper re-queues both targets, and the job completes.
        job = wait_for(lambda: finished(job.pk), timeout=180)
        wait_for(lambda: (c := job_progress.analysed_counts(job.pk))[0] == c[1], timeout=120)
        restarted = stack.workers()
    finally:
        code = stack.stop()
    log = stack.log()
    assert job.status == JobStatus.COMPLETED, log[-3000:]
    for target in targets:
        assert collection("results").count_documents({"target_id": target.pk}) == recorded
    assert "The worker1 process was killed by SIGKILL; restarting it." in log
    assert "The worker2 process was killed by SIGKILL; restarting it." in log
    assert len(restarted) == 2 and not set(restarted) & set(killed)
    assert code == 0 and "Stopped web, workers and beat." in log
    assert not any(children_of(pid) for pid in restarted)


def test_a_prefork_worker_frozen_by_killed_pool_processes_is_found_and_restarted(output_dir, tmp_path):
    stack = Stack(
        output_dir / "stack-frozen.log", tmp_path,
        CELERY_WORKER_POOL="prefork", WORKER_PROBE_INTERVAL_SECONDS="1", WORKER_STALL_SECONDS="8",
    )  # fmt: skip
    try:
        # One read of the worker list: it may change between two (a worker starting or restarting).
        wait_for(lambda: (found := stack.workers()) and len(children_of(found[0])) >= 2, timeout=60)
        assert tasks_run_within(60)
        (worker,) = stack.workers()
        pool = [pid for pid in children_of(worker) if " worker " in cmdline(pid)]
        assert len(pool) == 2
        for pid in pool:
            os.kill(pid, signal.SIGKILL)
        # The replacement pool processes wait forever for the lock a dead one held; the probe
        # goes unanswered, the stack restarts the worker, and tasks run again.
        assert tasks_run_within(90), stack.log()[-3000:]
        restarted = stack.workers()
    finally:
        code = stack.stop()
    log = stack.log()
    assert "The worker process took no task for" in log and "(its probe went unanswered)" in log
    assert restarted and restarted[0] != worker
    assert code == 0


def test_the_compose_health_check_passes_a_live_worker_and_kills_a_frozen_one(output_dir, tmp_path):
    queues = f"{settings.CELERY_WORKER_QUEUES},probe.hc"
    worker = WorkerProcess(
        output_dir / "health-check.log", concurrency=1, queues=queues, SENTIMATRIX_WORKER_NAME="hc"
    )
    try:
        worker.wait_ready()
        out = StringIO()
        call_command("probe_worker", "--name", "hc", "--timeout", "60", stdout=out)
        assert "worker hc took the probe" in out.getvalue()
        # The probe's answer is written inside the task; its "busy" mark is cleared just after.
        # Freezing the worker between the two would leave it looking busy with a young task.
        wait_for(lambda: not worker_state.busy_tasks("hc"), timeout=30)
        (proc,) = worker.procs
        pidfile = tmp_path / "worker.pid"
        pidfile.write_text(str(proc.pid))
        os.kill(proc.pid, signal.SIGSTOP)  # frozen: alive, taking nothing
        with pytest.raises(CommandError, match=r"worker hc took no task for 3 s .*; killed process"):
            call_command("probe_worker", "--name", "hc", "--timeout", "3", "--pidfile", str(pidfile))
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        worker.kill()
