"""Health check of one Celery worker (docker-compose's ``worker`` service runs it)."""

import os
import signal
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sentimatrix.supervision import inside_a_task, probe_answered, send_probe


class Command(BaseCommand):
    help = (
        "Send a probe task to the worker's own queue (probe.<name>) and wait for it. Exit 1 when "
        "it goes unanswered while the worker runs no task younger than CELERY_TASK_TIME_LIMIT; "
        "with --pidfile, also SIGKILL that worker so its container's restart policy replaces it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", default=os.environ.get("SENTIMATRIX_WORKER_NAME", "worker"))
        parser.add_argument("--timeout", type=float, default=float(settings.WORKER_STALL_SECONDS))
        parser.add_argument("--pidfile", help="The worker's --pidfile: kill it when it is stuck.")

    def handle(self, *args, **opts):
        token = f"probe-{opts['name']}-{uuid.uuid4().hex}"
        send_probe(opts["name"], token)
        deadline = time.monotonic() + opts["timeout"]
        while time.monotonic() < deadline:
            if probe_answered(token):
                self.stdout.write(f"worker {opts['name']} took the probe")
                return
            time.sleep(0.5)
        if inside_a_task(opts["name"], settings.CELERY_TASK_TIME_LIMIT):
            self.stdout.write(f"worker {opts['name']} is busy with a task within its time limit")
            return
        reason = f"worker {opts['name']} took no task for {opts['timeout']:.0f} s (its probe went unanswered)"
        if opts["pidfile"]:
            pid = int(Path(opts["pidfile"]).read_text().strip())
            os.kill(pid, signal.SIGKILL)
            reason += f"; killed process {pid} so that it is restarted"
        raise CommandError(reason)
