"""Run web, Celery worker and Celery beat together in the foreground."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.services import ensure_first_admin


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

    def handle(self, *args, **opts):
        if not opts["skip_setup"]:
            self.prepare()
        env = self.child_env()
        python = sys.executable
        children = {
            "web": [
                python, "-m", "gunicorn", "sentimatrix.wsgi:application",
                "--bind", f"{opts['host']}:{opts['port']}",
                "--workers", str(opts["web_workers"]),
                "--access-logfile", "-", "--graceful-timeout", "10",
            ],
            "worker": [
                python, "-m", "celery", "-A", "sentimatrix", "worker", "-l", "info",
                "-Q", settings.CELERY_WORKER_QUEUES,
                "--concurrency", str(opts["worker_concurrency"]),
            ],
            "beat": [
                python, "-m", "celery", "-A", "sentimatrix", "beat", "-l", "info",
                "--schedule", str(settings.VAR_DIR / "celerybeat-schedule"),
            ],
        }  # fmt: skip
        procs = {name: subprocess.Popen(cmd, env=env) for name, cmd in children.items()}
        self.stdout.write(
            self.style.SUCCESS(
                f"Sentimatrix Studio is running at http://{opts['host']}:{opts['port']}/ (Ctrl-C stops it)"
            )
        )
        reason = self.supervise(procs)
        self.stop_all(procs)
        if reason:
            self.stderr.write(self.style.ERROR(reason))
            sys.exit(1)

    def prepare(self):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=1)
        call_command("ensure_indexes")
        call_command("collectstatic", interactive=False, verbosity=0)
        created = ensure_first_admin()
        if created:
            email, password = created
            self.stdout.write(self.style.WARNING(f"First admin account: {email}"))
            if password:
                self.stdout.write(self.style.WARNING(f"Generated password (shown once): {password}"))

    def child_env(self):
        env = os.environ.copy()
        # Children reuse this process's database instead of looking for one.
        env["MONGODB_URI"] = settings.MONGODB_URI
        env["MONGODB_NAME"] = settings.MONGODB_NAME
        if settings.USING_EMBEDDED_DB:
            env["SENTIMATRIX_EMBEDDED_DB"] = "1"  # for /health/: the URI above points at it
        env.setdefault("DJANGO_DEBUG", "1" if settings.DEBUG else "0")
        env["DJANGO_SECRET_KEY"] = settings.SECRET_KEY
        env["SENTIMATRIX_ENCRYPTION_KEYS"] = settings.ENCRYPTION_KEYS
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def supervise(self, procs):
        stop = {"signal": None}

        def on_signal(signum, frame):
            stop["signal"] = signum

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        while stop["signal"] is None:
            for name, proc in procs.items():
                code = proc.poll()
                if code is not None:
                    return f"The {name} process exited with code {code}; stopping the others."
            time.sleep(0.5)
        return None

    def stop_all(self, procs, timeout=20):
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, proc in procs.items():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in time; killing it.")
                proc.kill()
                proc.wait()
        self.stdout.write("Stopped web, worker and beat.")
