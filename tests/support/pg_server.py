"""A real PostgreSQL (Debian's `postgresql` package) in a temp dir on a loopback port, for tests and benches.

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` system user (created by
the package) and its binaries run through `runuser`. One cluster per process, stopped at exit; every test
gets its own database from `fresh_database()`.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

PG_USER = "pulse"
START_TIMEOUT_S = 60


class PostgresUnavailable(RuntimeError):
    """No usable PostgreSQL here; the message says why (tests skip with it)."""


def _bin_dir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not versions:
        raise PostgresUnavailable("PostgreSQL binaries not found (apt-get install postgresql; ./scripts/test does)")
    return Path(versions[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    root: Path
    port: int
    bin_dir: Path
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=START_TIMEOUT_S)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self, *, durable: bool) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root}"
        options += " -c max_connections=200"
        if not durable:  # tests check store logic, not the disk; the benchmark keeps the defaults
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = self.root / "server.log"
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start")

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=START_TIMEOUT_S,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def fresh_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def start_postgres(*, durable: bool = False) -> PostgresServer:
    """Start a new cluster (raises PostgresUnavailable with the reason)."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise PostgresUnavailable("psycopg is not installed (pip install 'psycopg[binary]')") from exc
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PostgresUnavailable("running as root without `runuser` to drop to the postgres user")
        try:
            shutil.chown(root, user="postgres", group=None)
        except LookupError as exc:
            raise PostgresUnavailable("no `postgres` system user (the postgresql package creates it)") from exc
        as_user = [runuser, "-u", "postgres", "--"]
    server = PostgresServer(root, _free_port(), bin_dir, as_user)
    try:
        server.start(durable=durable)
    except Exception:
        server.stop()
        raise
    return server


_shared: PostgresServer | None = None
_failure: str | None = None


def shared_postgres() -> PostgresServer:
    """One cluster for the whole test process (started on first use, stopped at exit)."""
    global _shared, _failure
    if _failure is not None:
        raise PostgresUnavailable(_failure)
    if _shared is None:
        try:
            _shared = start_postgres()
        except PostgresUnavailable as exc:
            _failure = str(exc)
            raise
        atexit.register(_shared.stop)
    return _shared
