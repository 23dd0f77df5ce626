"""write_replacing: outputs change only when every write succeeded (no Spark job needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spark.conftest import load_job, tree

job = load_job("gold_tickit_sales")  # the helper is identical in every job file


def writes(files: dict[str, str]):
    def write(path: str) -> None:
        folder = Path(path.removeprefix("file:"))
        folder.mkdir(parents=True)
        for name, text in files.items():
            (folder / name).write_text(text)

    return write


def fails(message: str):
    def write(path: str) -> None:
        writes({"part-0.parquet": "half written"})(path)
        raise RuntimeError(message)

    return write


def outputs(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "gold" / "first", tmp_path / "gold" / "second"
    for folder in (first, second):
        folder.mkdir(parents=True)
        (folder / "old.parquet").write_text("previous run")
        (folder / "year=2001").mkdir()
        (folder / "year=2001" / "stale.parquet").write_text("stale partition")
    return first, second


def test_success_replaces_every_output_as_a_whole(spark, tmp_path):
    first, second = outputs(tmp_path)
    job.write_replacing(
        spark, {str(first): writes({"a.parquet": "1"}), str(second): writes({"b.parquet": "2"})}
    )
    assert tree(first) == {"a.parquet": b"1"} and tree(second) == {"b.parquet": b"2"}
    assert sorted(p.name for p in (tmp_path / "gold").iterdir()) == ["first", "second"]


def test_a_new_output_and_its_parents_are_created(spark, tmp_path):
    target = tmp_path / "lake" / "gold" / "table"
    job.write_replacing(spark, {f"file://{target}": writes({"a.parquet": "1"})})
    assert tree(target) == {"a.parquet": b"1"}


def test_a_failing_write_leaves_every_output_untouched(spark, tmp_path):
    first, second = outputs(tmp_path)
    before = tree(tmp_path)
    with pytest.raises(RuntimeError, match="disk full"):
        job.write_replacing(
            spark, {str(first): writes({"a.parquet": "1"}), str(second): fails("disk full")}
        )
    assert tree(tmp_path) == before  # the first output was written, but never promoted
    assert sorted(p.name for p in (tmp_path / "gold").iterdir()) == ["first", "second"]


def test_a_bad_value_found_while_writing_becomes_a_bad_input_error(spark, tmp_path):
    first, _ = outputs(tmp_path)
    before = tree(first)
    raised_by_spark = (
        "An error occurred while calling o1.parquet.\n: org.apache.spark.SparkException: Job "
        "aborted\nCaused by: java.lang.RuntimeException: bad input: file s3://b/x.csv, "
        "column START: cannot parse 'soon' as timestamp\n\tat org.apache.spark..."
    )
    with pytest.raises(job.BadInputError) as failure:
        job.write_replacing(spark, {str(first): fails(raised_by_spark)})
    assert str(failure.value) == (
        "bad input: file s3://b/x.csv, column START: cannot parse 'soon' as timestamp"
    )
    assert tree(first) == before
