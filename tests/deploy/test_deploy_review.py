"""`python -m deploy review`: each kind of change is reported, and nothing else is.

One temporary git repository (a copy of this tree) holds the base commit; each case
is a worktree of it with one change committed. Every tree's DAGs are parsed once,
together, before the reviews (the review keeps snapshots per commit).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from deploy.__main__ import main
from deploy.review import trees
from deploy.review.dag_snapshots import snapshots
from deploy.review.iam import find
from deploy.review.report import NO_CHANGE, build
from devkit.paths import REPO

SALES = "dags/tickit__sales_by_category.py"
CRAWL_BLOCK = re.compile(r"    crawl = GlueCrawlerOperator\(.*?\n    \)\n", re.DOTALL)


def edit(path: str, old: str, new: str, count: int = 1):
    def change(tree: Path) -> None:
        text = (tree / path).read_text()
        assert text.count(old) >= count, f"{path}: {old!r} not found; update the test's edit"
        (tree / path).write_text(text.replace(old, new))

    return change


def both(*changes):
    def change(tree: Path) -> None:
        for one in changes:
            one(tree)

    return change


def remove_crawl(tree: Path) -> None:
    text = CRAWL_BLOCK.sub("", (tree / SALES).read_text(), count=1)
    (tree / SALES).write_text(text.replace("chain(unload, crawl, query,", "chain(unload, query,"))


def write(path: str, text: str):
    def change(tree: Path) -> None:
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(text)

    return change


# name -> (the change, whether it touches the DAGs' inputs)
CASES = {
    "task_removed": (remove_crawl, True),
    "edge_added": (
        edit(SALES, "    chain(unload, crawl,", "    unload >> query\n    chain(unload, crawl,"),
        True,
    ),
    "schedule_changed": (
        both(
            edit(
                "dags/data_lake__bronze.py",
                "    schedule=NIGHTLY,",
                '    schedule=CronDataIntervalTimetable("0 1 * * *", timezone="UTC"),',
            ),
            edit(
                "dags/data_lake__bronze.py",
                "from airflow.sdk import DAG, chain, task\n",
                "from airflow.sdk import DAG, CronDataIntervalTimetable, chain, task\n",
            ),
        ),
        True,
    ),
    "asset_added": (
        edit(SALES, '"date", "category")', '"date", "category", "venue")'),
        True,
    ),
    "sql_changed": (
        edit(
            "sql/tickit/unload/sales_by_category.sql",
            "COUNT(*) AS sale_count",
            "COUNT(sales.salesid) AS sale_count",
        ),
        True,
    ),
    "variable_added": (
        edit(
            "dags/lakehouse/conventions.py",
            '    LAKE_GOLD_DATABASE = "lake_gold_database",',
            '    PARTNER_BUCKET = "partner_bucket", "S3 bucket of the partner exports"\n'
            '    LAKE_GOLD_DATABASE = "lake_gold_database",',
        ),
        True,
    ),
    "new_s3_access": (
        edit("spark/jobs/gold_tickit_sales.py", '"""', '"""Also copies to the partner.\n', 1),
        False,
    ),
    "bucket_replaced": (
        edit(
            "infra/pipelines.yaml",
            "BucketName: !Sub ${AWS::StackName}-lake-${AWS::AccountId}",
            "BucketName: !Sub ${AWS::StackName}-lakehouse-${AWS::AccountId}",
        ),
        False,
    ),
    "plugins_edit": (write("plugins/listeners/__init__.py", '"""A listener."""\n'), False),
    "import_error": (
        edit(
            "dags/data_lake__gold.py",
            "from __future__ import annotations\n",
            "import no_such_module\n",
        ),
        True,
    ),
    "docs_only": (edit("README.md", "# MWAA pipelines", "# MWAA pipelines, reviewed"), False),
}


def git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    return subprocess.run([*command, *args], check=True, capture_output=True, text=True).stdout


def copy_of_this_tree(dest: Path) -> None:
    """The files git would see here (tracked and untracked, ignored ones left out)."""
    listed = git(REPO, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    dest.mkdir()
    subprocess.run(
        f"tar -cf - --null -T - | tar -xf - -C {dest}",
        shell=True,  # noqa: S602 (fixed command, our own paths)
        cwd=REPO,
        input="\0".join(p for p in listed if p and (REPO / p).is_file()),
        text=True,
        check=True,
    )


def access_record(tree: Path, extra: list[dict]) -> dict:
    accesses = [
        {
            "role": "EmrJobRole",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::${LakeBucket}/silver/*",
        }
    ]
    return {
        "format": 1,
        "tree": trees.digest(tree),
        "commit": "0" * 40,
        "written_at": "2026-12-07T00:00:00Z",
        "dags": ["data_lake__gold"],
        "complete": True,
        "accesses": accesses + extra,
    }


PARTNER = {
    "role": "EmrJobRole",
    "action": "s3:PutObject",
    "resource": "arn:aws:s3:::partner-exports/*",
}


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> dict[str, str]:
    """Case name -> the review's Markdown, built against one shared base commit."""
    root = tmp_path_factory.mktemp("review")
    origin = root / "origin"
    copy_of_this_tree(origin)
    git(origin, "init", "-q")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "base")
    base = git(origin, "rev-parse", "HEAD").strip()
    cases = {}
    for name, (change, _) in CASES.items():
        tree = root / name
        git(origin, "worktree", "add", "-q", "--detach", str(tree), base)
        change(tree)
        git(tree, "add", "-A")
        git(tree, "commit", "-qm", name)
        cases[name] = tree
    records = root / "records"
    records.mkdir()
    (records / "base.json").write_text(json.dumps(access_record(origin, [])))
    (records / "head.json").write_text(json.dumps(access_record(cases["new_s3_access"], [PARTNER])))
    parsed = [(origin, base)] + [
        (tree, git(tree, "rev-parse", "HEAD").strip())
        for name, tree in cases.items()
        if CASES[name][1]
    ]
    snapshots(parsed)  # every tree parsed once, in one process
    given = {"new_s3_access": (records / "base.json", records / "head.json")}
    return {name: build(tree, base, *given.get(name, (None, None))) for name, tree in cases.items()}


def sections(markdown: str) -> dict[str, str]:
    """Section title -> its text (the notes on what was not compared left out)."""
    body = markdown.split("\nNot compared:")[0]
    parts = re.split(r"^### ", body, flags=re.MULTILINE)[1:]
    return {part.split("\n", 1)[0]: part.split("\n", 1)[1] for part in parts}


def verdict(markdown: str) -> str:
    return re.search(r"^\*\*(.*)\*\*$", markdown, re.MULTILINE).group(1)


PUT_SALES = "- put `dags/tickit__sales_by_category.py` (changed)"
NOTHING_ELSE = "No environment update: MWAA picks DAG-side files up within ~30 s."

# name -> (verdict, {section: the lines it holds besides Mermaid and SQL diffs})
EXPECTED = {
    "task_removed": (
        "1 DAG changed, 1 S3 object to put.",
        {
            "DAGs": [
                "- task removed: `crawl_sales_by_category` (GlueCrawlerOperator)",
                "- edge added: `unload_sales_by_category` → `query_with_athena`",
                "- edge removed: `crawl_sales_by_category` → `query_with_athena`",
                "- edge removed: `unload_sales_by_category` → `crawl_sales_by_category`",
            ],
            "Deploy": [PUT_SALES, NOTHING_ELSE],
        },
    ),
    "edge_added": (
        "1 DAG changed, 1 S3 object to put.",
        {
            "DAGs": ["- edge added: `unload_sales_by_category` → `query_with_athena`"],
            "Deploy": [PUT_SALES, NOTHING_ELSE],
        },
    ),
    "schedule_changed": (
        "1 DAG changed, 1 S3 object to put.",
        {
            "DAGs": [
                "- schedule: `CronDataIntervalTimetable(0 0 * * *)` → "
                "`CronDataIntervalTimetable(0 1 * * *)`"
            ],
            "Deploy": ["- put `dags/data_lake__bronze.py` (changed)", NOTHING_ELSE],
        },
    ),
    "asset_added": (
        "1 DAG changed, 1 S3 object to put.",
        {
            "DAGs": ["- Asset consumed added: `redshift.tickit.venue`"],
            "Deploy": [PUT_SALES, NOTHING_ELSE],
        },
    ),
    "sql_changed": (
        "SQL of 1 task changed, 1 S3 object to put.",
        {
            "SQL": ["Rendered for the data interval starting 2008-01-01."],
            "Deploy": [
                "- put `dags/sql/tickit/unload/sales_by_category.sql` (changed)",
                NOTHING_ELSE,
            ],
        },
    ),
    "variable_added": (
        "1 Variable added, 1 setting the stack does not provide, 1 S3 object to put.",
        {
            "Settings": [
                "- Variable added: `partner_bucket`: **not provided**: no Output `PartnerBucket` "
                "in infra/; add it (or set `<stack>/airflow/variables/partner_bucket` by hand) "
                "before this deploys"
            ],
            "Deploy": ["- put `dags/lakehouse/conventions.py` (changed)", NOTHING_ELSE],
        },
    ),
    "new_s3_access": (
        "1 new AWS access, 1 of them outside the stack's own resources, 1 S3 object to put.",
        {
            "IAM": [
                "- `EmrJobRole`:",
                "  - new access: `s3:PutObject` on `arn:aws:s3:::partner-exports/*` — "
                "**outside the stack's own resources**",
            ],
            "Deploy": ["- put `dags/spark/jobs/gold_tickit_sales.py` (changed)", NOTHING_ELSE],
        },
    ),
    "bucket_replaced": (
        "1 replacement of a stateful resource (LakeBucket).",
        {
            "Infrastructure": [
                "`infra/pipelines.yaml`:",
                "- modified, **REPLACEMENT**: `LakeBucket` (AWS::S3::Bucket): `BucketName`; "
                "create-only: `BucketName` — **data loss** (`Retain`: the old one is kept, but "
                "the stack and the DAGs move to a new, empty one)",
            ]
        },
    ),
    "plugins_edit": (
        "1 S3 object to put, 1 environment update.",
        {
            "Deploy": [
                "- put `plugins.zip` (new)",
                "**MWAA updates the environment** (UpdateEnvironment, about 10–30 minutes; "
                "workers are replaced GRACEFUL by default: running tasks may finish, up to "
                "12 h), because of `plugins.zip`:",
                "- `plugins.zip`: every scheduler, worker and web server restarts with the new "
                "plugins",
            ]
        },
    ),
    "import_error": (
        "1 DAG file failing to import, 1 S3 object to put.",
        {
            "DAGs": ["**`dags/data_lake__gold.py` does not import:**"],
            "Deploy": ["- put `dags/data_lake__gold.py` (changed)", NOTHING_ELSE],
        },
    ),
    "docs_only": (NO_CHANGE, {}),
}


def content_lines(text: str) -> list[str]:
    """A section's lines without blanks, headings, Mermaid graphs and diffs."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif line.strip() and not fenced and not line.startswith(("#### ", "Accesses of")):
            lines.append(line)
    return lines


@pytest.mark.parametrize("case", EXPECTED)
def test_each_change_is_reported_and_nothing_else(reviews, case):
    expected_verdict, expected = EXPECTED[case]
    markdown = reviews[case]
    assert verdict(markdown) == expected_verdict
    found = sections(markdown)
    assert sorted(found) == sorted(expected)
    for title, lines in expected.items():
        assert content_lines(found[title]) == lines, title


def test_a_changed_dag_is_drawn_with_its_changes_marked(reviews):
    graph = sections(reviews["task_removed"])["DAGs"].split("```mermaid\n")[1].split("```")[0]
    assert re.search(r'\["crawl_sales_by_category"\]:::removed', graph)
    assert re.search(r"t\d+ ==>\|added\| t\d+", graph)
    assert graph.count("-.->|removed|") == 2


def test_an_import_failure_shows_its_error_and_the_dag_is_not_called_removed(reviews):
    text = sections(reviews["import_error"])["DAGs"]
    assert "ModuleNotFoundError: No module named 'no_such_module'" in text
    assert "#### `data_lake__gold` not parsed: its file does not import" in text


def test_the_sql_diff_is_of_the_rendered_statement(reviews):
    diff = sections(reviews["sql_changed"])["SQL"].split("```diff\n")[1].split("```")[0]
    changed = [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")
    ]
    assert changed == ["-    COUNT(*) AS sale_count,", "+    COUNT(sales.salesid) AS sale_count,"]


def test_docs_only_says_no_change_to_what_runs_and_names_no_section(reviews):
    assert verdict(reviews["docs_only"]) == NO_CHANGE
    assert "###" not in reviews["docs_only"] and "Not compared" not in reviews["docs_only"]


def test_missing_access_records_are_said_not_compared(reviews):
    notes = reviews["bucket_replaced"].split("Not compared:")[1]
    assert "no access record of the base" in notes and "no access record of the head" in notes


def test_a_record_of_another_tree_is_named_stale_and_not_used(tmp_path):
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"tree": "aaaa", "commit": "b" * 40, "accesses": []}))
    found = find(tmp_path, "cccc", record, "base")
    assert found.accesses is None
    assert (
        "stale, not used" in found.source
        and "aaaa" in found.source
        and "bbbbbbbbbbbb" in found.source
    )


def test_the_command_appends_the_review_to_a_file(tmp_path, reviews):
    out = tmp_path / "summary.md"
    out.write_text("earlier step\n")
    assert main(["review", "--repo", str(REPO), "--base", "HEAD", "--output", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("earlier step\n## What this change does (against HEAD (")


def test_the_readme_sample_is_what_the_review_writes(reviews):
    readme = (REPO / "README.md").read_text().split("## What a pull request does", 1)[1]
    sample = readme.split("````markdown\n", 1)[1].split("````", 1)[0]
    written = reviews["schedule_changed"] + reviews["bucket_replaced"]
    bullets = [line.split(" (…)")[0] for line in sample.splitlines() if line.startswith("- ")]
    assert len(bullets) == 2
    assert all(bullet in written for bullet in bullets)
