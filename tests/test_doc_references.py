"""Docs, docstrings and comments name only paths and modules that exist.

A moved file leaves its old name behind in prose, where no import fails: a reader
then looks for a file or runs a `python -m` command that is not there. This reads
README.md, docs/*.md and every other Markdown file, and the comments and docstrings
of every .py file, and checks two kinds of names:

- repository paths: `devkit/run/local_env.py`, `sql/tickit/`, `tests/dags/...`;
- dotted modules of the repository's packages: `devkit.tools.new_dag`,
  `lakehouse.conventions.Var` (the module, and the name in it if one is given).

Not names: URLs and bucket keys (`https://.../dags/x`, `s3://b/dags/sql/`, anything
after a `/`), globs and placeholders (`tests/dags/test_*.py`, `sql/<domain>/`,
`dags/{dag_id}.py`), and file names such as `deploy.yml`. Plain text only, no imports.
"""

from __future__ import annotations

import ast
import os
import re
from functools import cache
from pathlib import Path

from devkit.paths import REPO

SKIP_DIRS = {".git", ".venv", ".cache", ".airflow", "node_modules", "__pycache__"}
TOP_LEVEL = sorted(p.name for p in REPO.iterdir() if p.is_dir() and p.name not in SKIP_DIRS)
PATH = re.compile(r"(?<![\w./:@-])((?:%s)/[\w./-]*)" % "|".join(map(re.escape, TOP_LEVEL)))
# The repository's import roots: lakehouse lives in dags/, as on MWAA.
PACKAGES = {
    "devkit": REPO / "devkit",
    "deploy": REPO / "deploy",
    "lakehouse": REPO / "dags/lakehouse",
}
MODULE = re.compile(r"(?<![\w./:@-])((?:%s)(?:\.\w+)+)" % "|".join(PACKAGES))
PLACEHOLDER_NEXT = set("<{$*?[")
FILE_EXTENSIONS = {"py", "md", "yml", "yaml", "json", "txt", "sh", "sql", "toml", "zip", "cfg"}
# Names that look like repository paths and are not, each for a reason.
NOT_REPOSITORY_PATHS = (
    # The MWAA bucket's keys, which the deploy writes (docs/deploy.md).
    "dags/sql/",
    "dags/spark/",
    "dags/recipes",
    "dags/constraints/",
    "plugins/requirements",  # "plugins/requirements/startup": MWAA's three pinned objects
    # docs/deploy.md's worked examples: a bucket's stray objects, a fork's own parameters.
    "dags/tickit__old_load.py",
    "dags/scratch.py",
    "infra/parameters.prod.json",
)


def _walk(suffix: str):
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        yield from (Path(root, f) for f in files if f.endswith(suffix))


TRIPLE_QUOTED = re.compile(r'("""|\'\'\')(.*?)\1', re.DOTALL)
COMMENT = re.compile(r"(?m)(?:^|\s)#(.*)$")


def _prose_of_python(path: Path) -> str:
    """Comments and triple-quoted strings (docstrings, mostly) of one file.

    Regular expressions, not tokenize and ast: ten times faster, and a code string
    they take for prose can only add a name to check, never hide one."""
    text = path.read_text()
    return "\n".join([m.group(2) for m in TRIPLE_QUOTED.finditer(text)] + COMMENT.findall(text))


def _documents() -> dict[Path, str]:
    docs = {path: path.read_text() for path in _walk(".md")}
    # This file's own examples of stale names are on purpose.
    docs.update({p: _prose_of_python(p) for p in _walk(".py") if p != Path(__file__)})
    return docs


def _missing_path(text: str, match: re.Match) -> str | None:
    if text[match.end() : match.end() + 1] in PLACEHOLDER_NEXT:
        return None
    path = match.group(1).rstrip(".,:;")
    if path.startswith(NOT_REPOSITORY_PATHS) or (REPO / path).exists():
        return None
    return path


@cache
def _top_level_names(module_file: Path) -> frozenset[str]:
    names = set()
    for node in ast.parse(module_file.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return frozenset(names)


def _missing_module(dotted: str) -> str | None:
    """None if `dotted` is a module of the repository, or a name defined at its top level."""
    parts = dotted.rstrip(".").split(".")
    if parts[-1] in FILE_EXTENSIONS:
        return None  # a file name such as deploy.yml
    where = PACKAGES[parts[0]]
    for i, part in enumerate(parts[1:], start=1):
        if (where / part / "__init__.py").is_file():
            where = where / part
        elif (where / f"{part}.py").is_file():
            where = where / f"{part}.py"
        else:
            module = where / "__init__.py" if where.is_dir() else where
            return None if part in _top_level_names(module) else ".".join(parts[: i + 1])
    return None


def _stale_references() -> list[str]:
    stale = []
    for path, text in _documents().items():
        where = path.relative_to(REPO)
        for match in PATH.finditer(text):
            if missing := _missing_path(text, match):
                stale.append(f"{where}: path {missing}")
        for match in MODULE.finditer(text):
            if missing := _missing_module(match.group(1)):
                stale.append(f"{where}: module {missing}")
    return sorted(set(stale))


def test_docs_docstrings_and_comments_name_only_what_exists():
    stale = _stale_references()
    assert stale == [], (
        "these name a path or module that does not exist; point them at what replaced "
        "it, or drop the sentence:\n  " + "\n  ".join(stale)
    )


def test_the_check_finds_a_stale_path_and_module_and_ignores_urls_and_placeholders():
    text = (
        "See devkit/synthea_data.py and `python -m deploy.settings_table --write`; "
        "devkit/run/local_env.py and lakehouse.conventions.Var exist; "
        "https://example.com/devkit/nowhere.py, s3://bucket/dags/sql/x.sql, "
        "sql/<domain>/x.sql, tests/dags/test_*.py, dags/{dag_id}.py and deploy.yml are no names."
    )
    paths = [m for m in (_missing_path(text, m) for m in PATH.finditer(text)) if m]
    modules = [m for m in (_missing_module(m.group(1)) for m in MODULE.finditer(text)) if m]
    assert (paths, modules) == (["devkit/synthea_data.py"], ["deploy.settings_table"])


def test_python_prose_is_its_comments_and_docstrings_not_its_code(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        '"""Reads sql/moved/a.sql."""\n'
        'PATH = "sql/in_code.sql"  # written by devkit.gone.tool\n'
        "def f():\n    '''Calls deploy.nowhere.'''\n"
    )
    prose = _prose_of_python(module)
    assert all(name in prose for name in ("sql/moved/a.sql", "devkit.gone", "deploy.nowhere"))
    assert "sql/in_code.sql" not in prose
