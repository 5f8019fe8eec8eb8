"""Web, Celery worker and Celery beat in one terminal (what `make run` starts).

Ctrl-C (or SIGTERM) stops all three cleanly; if one of them dies, the others are
stopped too, so a broken set-up never looks half alive.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from spp import runtime
from spp.demo import DEMO_PASSWORD, OPERATOR_EMAIL


class Command(BaseCommand):
    help = "Serve the portal with a Celery worker and beat; Ctrl-C stops everything."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, host: str, port: int, concurrency: int, **options):
        python = sys.executable
        schedule = runtime.data_dir() / "celerybeat-schedule"
        commands = {
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "spp",
                "worker",
                "-l",
                "warning",
                "--concurrency",
                str(concurrency),
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "spp",
                "beat",
                "-l",
                "warning",
                "-s",
                str(schedule),
            ],
        }
        processes = {
            name: subprocess.Popen(cmd, cwd=settings.BASE_DIR) for name, cmd in commands.items()
        }  # noqa: S603

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.banner(host, port)
        exit_code = 0
        while not stopping:
            for name, proc in processes.items():
                if proc.poll() is not None:
                    self.stderr.write(
                        f"{name} exited with status {proc.returncode}; stopping the rest"
                    )
                    exit_code = proc.returncode or 1
                    stopping = True
            time.sleep(0.5)
        self.shutdown(processes)
        if exit_code:
            sys.exit(exit_code)

    def shutdown(self, processes: dict[str, subprocess.Popen]) -> None:
        for proc in processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stdout.write("stopped web, worker and beat")

    def banner(self, host: str, port: int) -> None:
        line = "=" * 72
        self.stdout.write(
            f"\n{line}\n  SPP is running at http://{host}:{port}/\n"
            f"  Demo logins (password for all: {DEMO_PASSWORD}):\n"
            f"    admin@northwind.example   partner admin, Northwind CAD\n"
            f"    am1@northwind.example     account manager, Northwind CAD\n"
            f"    viewer@northwind.example  viewer, Northwind CAD\n"
            f"    admin@summit.example      partner admin, Summit Design Solutions\n"
            f"    {OPERATOR_EMAIL:<25} operator (Django admin at /admin/)\n"
            f"  Ctrl-C stops everything.\n{line}\n"
        )
