"""Run web, Celery workers and Celery beat together in the foreground, restarting a worker
that dies or stops taking tasks (see :mod:`sentimatrix.supervision`)."""

import os
import signal
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from sentimatrix.embedded_db import EMBEDDED_FLAG
from sentimatrix.supervision import Child, Supervisor, probe_queue


class Command(BaseCommand):
    help = "Prepare the database, then run web server, worker and beat until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument(
            "--worker-concurrency", type=int, default=int(os.environ.get("CELERY_WORKER_CONCURRENCY", "2"))
        )
        parser.add_argument("--skip-setup", action="store_true", help="Skip migrate/ensure_indexes/admin.")
        parser.add_argument("--without-web", action="store_true", help="Run workers and beat only.")

    def handle(self, *args, **opts):
        if not opts["skip_setup"]:
            self.prepare()
        supervisor = Supervisor(
            self.children(opts),
            self.child_env(),
            say=lambda message: self.stderr.write(self.style.WARNING(message)),
            probe_interval=settings.WORKER_PROBE_INTERVAL_SECONDS,
            stall_after=settings.WORKER_STALL_SECONDS,
            task_time_limit=settings.CELERY_TASK_TIME_LIMIT,
        )
        supervisor.start()
        where = (
            "without the web server" if opts["without_web"] else f"at http://{opts['host']}:{opts['port']}/"
        )
        self.stdout.write(self.style.SUCCESS(f"Sentimatrix Studio is running {where} (Ctrl-C stops it)"))
        reason = self.supervise(supervisor)
        supervisor.stop()
        self.stdout.write("Stopped web, workers and beat.")
        if reason:
            self.stderr.write(self.style.ERROR(reason))
            sys.exit(1)

    def children(self, opts) -> list[Child]:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "sentimatrix"]
        queues = settings.CELERY_WORKER_QUEUES
        concurrency = opts["worker_concurrency"]
        children = []
        if not opts["without_web"]:
            children.append(Child("web", [
                python, "-m", "gunicorn", "sentimatrix.wsgi:application",
                "--bind", f"{opts['host']}:{opts['port']}",
                "--workers", str(opts["web_workers"]),
                "--access-logfile", "-", "--graceful-timeout", "10",
            ]))  # fmt: skip
        # One process per worker on a pool that does not fork (see CELERY_WORKER_POOL);
        # one worker with its pool processes otherwise.
        solo = settings.CELERY_WORKER_POOL == "solo"
        names = [f"worker{i}" for i in range(1, concurrency + 1)] if solo else ["worker"]
        for name in names:
            children.append(Child(name, [
                *celery, "worker", "-l", "info", "-n", f"{name}@%h",
                "-Q", f"{queues},{probe_queue(name)}",
                "--pool", settings.CELERY_WORKER_POOL,
                *([] if solo else ["--concurrency", str(concurrency)]),
            ], worker=True))  # fmt: skip
        children.append(Child("beat", [
            *celery, "beat", "-l", "info", "--schedule", str(settings.VAR_DIR / "celerybeat-schedule"),
        ]))  # fmt: skip
        return children

    def prepare(self):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=1)
        call_command("ensure_indexes")
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("ensure_first_admin", stdout=self.stdout)

    def child_env(self):
        env = os.environ.copy()
        # Children use this process's database (the embedded server manage.py started when
        # MONGODB_URI was unset) and keys: their settings read nothing else.
        env["MONGODB_URI"] = settings.MONGODB_URI
        env["MONGODB_NAME"] = settings.MONGODB_NAME
        if settings.USING_EMBEDDED_DB:
            env[EMBEDDED_FLAG] = "1"  # for /health/: the URI above points at it
        env.setdefault("DJANGO_DEBUG", "1" if settings.DEBUG else "0")
        env["DJANGO_SECRET_KEY"] = settings.SECRET_KEY
        env["SENTIMATRIX_ENCRYPTION_KEYS"] = settings.ENCRYPTION_KEYS
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def supervise(self, supervisor: Supervisor) -> str | None:
        stop = {"signal": None}

        def on_signal(signum, frame):
            stop["signal"] = signum

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        while stop["signal"] is None:
            reason = supervisor.check()
            if reason:
                return reason
            time.sleep(0.5)
        return None
