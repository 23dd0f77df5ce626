"""The Jinja patch compiles a template string once per set of compile-time settings, and
each environment still renders with its own filters, class, globals and errors."""

from __future__ import annotations

import pytest

from devkit import patches


def _env(**kwargs):
    from airflow.sdk.definitions._internal.templater import create_template_env

    return create_template_env(**kwargs)


def test_a_template_string_is_compiled_once_for_every_task_s_environment():
    from jinja2 import Environment

    patches.apply_all()
    source = "{{ params.night }}/{{ ds_nodash | default('x') }}"
    first, second = _env(), _env()  # Airflow builds one per task
    one, other = first.from_string(source), second.from_string(source)
    code = Environment.compile.kept[next(k for k in Environment.compile.kept if k[0] == source)]
    assert one.environment is first and other.environment is second
    assert one.root_render_func.__code__ in code.co_consts  # the same compiled module
    assert other.root_render_func.__code__ in code.co_consts
    assert one.render(params={"night": "2008-01-02"}) == "2008-01-02/x"
    assert (
        other.render(params={"night": "2008-01-03"}, ds_nodash="20080103") == "2008-01-03/20080103"
    )


def test_other_compile_time_settings_get_their_own_code():
    patches.apply_all()
    # The optimizer folds constant filter calls into the code: a shared code object
    # would render the first environment's filter in the second.
    source = "{{ 'Night' | shout }}"
    loud = _env(user_defined_filters={"shout": str.upper}).from_string(source)
    quiet = _env(user_defined_filters={"shout": str.lower}).from_string(source)
    assert (loud.render(), quiet.render()) == ("NIGHT", "night")
    native = _env(native=True).from_string("{{ [1, 2] }}")
    assert native.render() == [1, 2] and _env().from_string("{{ [1, 2] }}").render() == "[1, 2]"
    lines = _env(jinja_environment_kwargs={"line_statement_prefix": "#"}).from_string(
        "# if 1\ny\n# endif"
    )
    assert lines.render().strip() == "y"


def test_errors_files_and_raw_compiles_are_left_alone():
    from jinja2 import DictLoader, Environment, TemplateSyntaxError

    patches.apply_all()
    for _ in range(2):
        with pytest.raises(TemplateSyntaxError):
            _env().from_string("{% if %}")
    kept = len(Environment.compile.kept)
    env = _env()
    env.loader = DictLoader({"night.sql": "select {{ 1 + 1 }}"})
    assert env.get_template("night.sql").render() == "select 2"  # a file: compiled as before
    assert isinstance(env.compile("{{ 1 }}", raw=True), str)
    assert len(Environment.compile.kept) == kept
