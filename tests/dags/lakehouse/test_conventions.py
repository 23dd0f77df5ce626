from __future__ import annotations

from pathlib import Path

import pytest

from devkit.paths import REPO
from devkit.tools import settings_table
from lakehouse import conventions
from lakehouse.conventions import DEFAULT_ARGS, REDSHIFT_DATA_API, Conn, Team, Var


def test_var_renders_a_run_time_lookup_of_that_variable():
    assert conventions.var(Var.LAKE_BUCKET) == "{{ var.value.lake_bucket }}"


def test_sql_searchpath_covers_mwaa_and_the_repository(tmp_path):
    dag_file = tmp_path / "dags" / "tickit__x.py"
    assert conventions.sql_searchpath(str(dag_file)) == [
        str(tmp_path / "dags" / "sql"),
        str(tmp_path / "sql"),
    ]


def test_sql_searchpath_of_a_real_dag_reaches_the_sql_folder():
    repo = REPO
    paths = conventions.sql_searchpath(str(repo / "dags" / "tickit__redshift_load.py"))
    assert any((Path(p) / "tickit" / "merge" / "delete_matching.sql").is_file() for p in paths)


def test_default_args_follow_house_policy():
    assert DEFAULT_ARGS["owner"] in {t.value for t in Team}
    assert DEFAULT_ARGS["retries"] <= 3
    assert DEFAULT_ARGS["email_on_failure"] is False
    assert DEFAULT_ARGS["email_on_retry"] is False


def test_data_api_targets_exactly_one_redshift_endpoint():
    endpoints = {"workgroup_name", "cluster_identifier", "session_id"} & REDSHIFT_DATA_API.keys()
    assert len(endpoints) == 1
    assert "{{ var.value." in REDSHIFT_DATA_API["database"]


def test_failures_notify_from_every_task_by_default():
    assert DEFAULT_ARGS["on_failure_callback"] is conventions.notify_failure


@pytest.mark.parametrize("name", list(Var))
def test_variable_names_are_valid_env_var_suffixes(name):
    assert name.value.isidentifier() and name.value == name.value.lower()


def test_shared_code_ships_with_the_dags_not_in_plugins_zip():
    """A new tag or Variable must deploy in seconds (DAG sync), not via an environment update."""
    from devkit.paths import DAGS_DIR, PLUGINS_DIR

    assert Path(conventions.__file__).resolve().is_relative_to(DAGS_DIR / "lakehouse")
    assert "lakehouse/" in (DAGS_DIR / ".airflowignore").read_text().splitlines()
    assert not list(PLUGINS_DIR.rglob("*.py")), "plugins/ is for Airflow plugins only"


def test_every_setting_has_a_one_line_description():
    for setting in [*Var, *Conn]:
        assert setting.description and "\n" not in setting.description, setting.value
        assert "|" not in setting.description, f"{setting.value}: `|` breaks the README table"


def test_the_readme_lists_every_variable_and_connection_as_the_enums_say():
    """The newcomer's list of what to set: generated from Var and Conn, never edited by hand."""
    readme = settings_table.README.read_text()
    assert settings_table.readme_table(readme) == settings_table.table(), (
        "README.md's Variables and Connections table differs from lakehouse.conventions' "
        "Var and Conn: run `.venv/bin/python -m devkit.tools.settings_table --write`"
    )
    for setting in [*Var, *Conn]:
        assert f"| `{setting.value}` | {setting.description} |" in readme


def test_writing_the_table_replaces_only_what_lies_between_the_markers():
    stale = f"# Title\n\n{settings_table.BEGIN}\n| old |\n{settings_table.END}\n\nAfter.\n"

    written = settings_table.with_table(stale)

    assert written.startswith(f"# Title\n\n{settings_table.BEGIN}\n| Variable |")
    assert written.endswith(f"{settings_table.END}\n\nAfter.\n")
    assert settings_table.readme_table(written) == settings_table.table()
    with pytest.raises(settings_table.SettingsTableError, match="lacks the markers"):
        settings_table.with_table("# no markers\n")


def _first_two_runs(timetable, start=(2026, 3, 1)):
    """When the scheduler would run the first two intervals after `start` (catchup on)."""
    import pendulum
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    core = coerce_to_core_timetable(timetable)
    restriction = TimeRestriction(pendulum.datetime(*start, tz="UTC"), None, catchup=True)
    first = core.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    second = core.next_dagrun_info(
        last_automated_data_interval=first.data_interval, restriction=restriction
    )
    return [str(first.run_after), str(second.run_after)], first.data_interval


@pytest.mark.parametrize(
    ("schedule", "runs"),
    [
        ("NIGHTLY", ["2026-03-02 00:00:00+00:00", "2026-03-03 00:00:00+00:00"]),
        ("HOURLY", ["2026-03-01 01:00:00+00:00", "2026-03-01 02:00:00+00:00"]),
        ("WEEKLY", ["2026-03-09 00:00:00+00:00", "2026-03-16 00:00:00+00:00"]),
    ],
)
def test_named_schedules_run_when_they_say(schedule, runs):
    assert _first_two_runs(getattr(conventions, schedule))[0] == runs


def test_daily_at_runs_every_day_at_that_time_for_the_24_hours_before():
    runs, interval = _first_two_runs(conventions.daily_at(6, 30))
    assert runs == ["2026-03-02 06:30:00+00:00", "2026-03-03 06:30:00+00:00"]
    assert (str(interval.start), str(interval.end)) == (
        "2026-03-01 06:30:00+00:00",
        "2026-03-02 06:30:00+00:00",
    )


def test_daily_at_refuses_a_time_that_does_not_exist_and_says_what_does():
    with pytest.raises(ValueError, match=r"hour must be 0-23 and the minute 0-59, e\.g\. daily_at"):
        conventions.daily_at(24)
