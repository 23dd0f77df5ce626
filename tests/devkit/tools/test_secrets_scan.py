"""devkit/tools/secrets_scan.py: detect-secrets with its three speed-ups finds exactly
what detect-secrets finds (the gate's secrets check runs it over every tracked file)."""

from __future__ import annotations

import base64
import hashlib
import re

from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.filters import allowlist, heuristic
from detect_secrets.settings import default_settings

from devkit.paths import REPO
from devkit.tools import secrets_scan

# Built at run time ("~" becomes "="), so that this file holds no secret for the gate.
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
HEX = hashlib.sha1(b"planted").hexdigest()
BASE64 = base64.b64encode(b"foobarbazqux1234567890").decode()
PRAGMA = "# pragma: " + "allowlist"
PLANTED = [
    line.replace("~", "=")
    for line in [
        f'aws_key ~ "{AWS_KEY}"',
        'db_password ~ "hunter2-not-real-x9"',
        f'api_token ~ "{HEX}"',
        f'other_secret ~ "{BASE64}"  {PRAGMA} secret',
        f"{PRAGMA} nextline secret",
        'next_password ~ "hidden-by-the-line-before"',
        'password ~ get_secret("name")',
        'if password !~ os.environ["X"]:',
        'x ~ "' + "a" * 1200 + '"  # a line too long for the indirect-reference filter',
        'tail_password ~ "after-the-long-line-7"',
    ]
]


def scan(path) -> dict:
    with default_settings():
        secrets = SecretsCollection()
        secrets.scan_file(str(path))
    return secrets.json()


def found_lines(results: dict) -> set[tuple[int, str]]:
    return {(s["line_number"], s["type"]) for found in results.values() for s in found}


def test_the_fast_scan_finds_what_detect_secrets_finds(tmp_path, monkeypatch):
    files = [tmp_path / "planted.py", tmp_path / "planted.yaml"]
    files[0].write_text("\n".join(PLANTED) + "\n")
    files[1].write_text("".join(f"k{n}: '{line}'\n" for n, line in enumerate(PLANTED)))
    plain = [scan(path) for path in files]
    lines = found_lines(plain[0])
    assert (1, "AWS Access Key") in lines and (2, "Secret Keyword") in lines
    assert {4, 6, 7, 8} & {n for n, _ in lines} == set()  # allowlisted, indirect references
    assert (10, "Secret Keyword") in lines
    assert found_lines(plain[1])  # the YAML transformer's lines are scanned too
    secrets_scan.speed_up(monkeypatch.setattr)
    assert [scan(path) for path in files] == plain


def test_the_indirect_reference_regex_matches_the_same_lines():
    original = re.compile(r"([^\v=!:]*)\s*(:=?|[!=]{1,3})\s*([\w.-]+[\[\(][^\v]*[\]\)])")
    assert heuristic._get_indirect_reference_regex().pattern == original.pattern
    lines = [*PLANTED, "", "=", "a := b(c)", "x === y[0]", "!f(x)", "a = (b)", "a = b[c"]
    lines += [":x(y)", "a:b(c)d", "k: v(1)\v)", "a = b\v(c)", "no assignment(here)", "= -x[1]"]
    tools = sorted((REPO / "devkit" / "tools").glob("*.py"))
    for path in [REPO / "infra" / "pipelines.yaml", *tools]:
        lines += path.read_text().splitlines()
    rest = secrets_scan.INDIRECT_REFERENCE_REST
    matched = {line: bool(original.search(line)) for line in lines}
    assert [line for line in lines if bool(rest.search(line)) != matched[line]] == []
    assert sum(matched.values()) > 20 and not all(matched.values())


def test_the_allowlist_shortcut_answers_as_the_filter(tmp_path):
    class Context:
        def __init__(self, previous_line):
            self.previous_line = previous_line

    fast = secrets_scan.pragma_first(allowlist.is_line_allowlisted)
    for name in ("a.py", "a.yaml", "a.sql"):
        for line in [*PLANTED, "-- pragma: allowlist secret", "x  # pragma allowlist-secret"]:
            nextline = [f"{PRAGMA} nextline secret", "// pragma: allowlist nextline secret"]
            for previous in ["", *nextline]:
                context = Context(previous)
                expected = allowlist.is_line_allowlisted(name, line, context)
                assert fast(name, line, context) == expected, (name, line, previous)


def test_injection_gives_each_callable_the_arguments_it_names():
    calls = []

    def original(func, **kwargs):
        calls.append(func)
        return "original"

    def knows(line, filename):
        return (line, filename)

    knows.injectable_variables = {"line", "filename"}
    call = secrets_scan.direct_call(original)
    assert call(knows, line="l", filename="f", context=None) == ("l", "f")
    assert call(lambda line: line, line="l") == "original" and len(calls) == 1
