"""Every recipe validates offline against DataHub's own config models (one CLI call).

The validator runs in `.venv-datahub` (built here when missing), over the real
recipes plus broken copies, so one call covers every case. It runs in the warm
process the ECS emulation uses (devkit/datahub/zygote.py), with the containers'
environment: warm already when an ingestion test ran first in this process.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from devkit.datahub import cli_venv, zygote
from devkit.emulator.ecs import ingestion as ecs_ingestion
from devkit.paths import RECIPES_DIR
from devkit.paths import REPO as ROOT
from lakehouse.datahub import GLOSSARY_RECIPE, SOURCE_RECIPES

REAL = [GLOSSARY_RECIPE, *SOURCE_RECIPES]
ENV = {
    "DATAHUB_GMS_URL": "https://datahub.example.invalid",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCOUNT_ID": "000000000000",
    "LAKE_BUCKET": "lake",
    "REDSHIFT_HOST_PORT": "wg.example.invalid:5439",
    "REDSHIFT_USERNAME": "datahub",
    "REDSHIFT_PASSWORD": "placeholder",  # pragma: allowlist secret
}


def _broken(tmp: Path) -> dict[str, str]:
    """Copies of glue.yml with one mistake each; name -> the text its error must contain."""
    glue = yaml.safe_load((RECIPES_DIR / "glue.yml").read_text())
    cases = {}

    def write(name: str, recipe: dict, expect: str) -> None:
        (tmp / name).write_text(yaml.safe_dump(recipe))
        cases[name] = expect

    typo = json.loads(json.dumps(glue))
    typo["source"]["config"]["database_patern"] = typo["source"]["config"].pop("database_pattern")
    write("typo_field.yml", typo, "database_patern")
    unknown = json.loads(json.dumps(glue))
    unknown["transformers"][0]["type"] = "simple_add_dataset_tagz"
    write("unknown_transformer.yml", unknown, "simple_add_dataset_tagz")
    unset = json.loads(json.dumps(glue))
    unset["source"]["config"]["aws_region"] = "${DATAHUB_TEST_UNSET_REGION}"
    write("unset_var.yml", unset, "${DATAHUB_TEST_UNSET_REGION} is not set")
    term = json.loads(json.dumps(glue))
    term["transformers"][2]["config"]["term_pattern"]["rules"] = {
        ".*": ["urn:li:glossaryTerm:Classification.TopSecret"]
    }
    write("unknown_term.yml", term, "Classification.TopSecret is not in the business glossary")
    return cases


@pytest.fixture(scope="module")
def validation(tmp_path_factory):
    python = cli_venv.ensure()
    zygotes = ecs_ingestion.warm_up()
    tmp = tmp_path_factory.mktemp("recipes")
    broken = _broken(tmp)
    paths = [str(RECIPES_DIR / r) for r in REAL] + [str(tmp / name) for name in broken]
    env = {**ecs_ingestion.base_environment(), **ENV, "DATAHUB_RECIPES_DIR_DIR": str(RECIPES_DIR)}
    env[zygote.SOCKET_ENV] = zygotes.wait()
    validator = str(ROOT / "devkit" / "datahub" / "validate.py")
    proc = subprocess.run(
        [str(python), zygote.__file__, validator, *paths],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return proc, json.loads(proc.stdout.strip().splitlines()[-1]), broken


def test_every_real_recipe_validates(validation):
    proc, report, _ = validation
    valid = {
        Path(r["recipe"]).relative_to(RECIPES_DIR).as_posix()
        for r in report["recipes"]
        if Path(r["recipe"]).is_relative_to(RECIPES_DIR)
    }
    assert set(REAL) <= valid, proc.stdout
    assert not [e for e in report["errors"] if str(RECIPES_DIR) in e], report["errors"]


def test_the_validator_ran_warm_in_its_own_server(validation):
    """validate.py's server is forked from the CLI's process after their shared imports;
    it served this call, with its own log."""
    proc, _, _ = validation
    served = ecs_ingestion.warm_up().log("validate.py").read_text()
    assert zygote.WARNING.split("{")[0] not in proc.stdout, proc.stdout
    assert "/validate.py " in served and "-> 1 (" in served, served


def test_glossary_has_the_classifications_and_inheriting_terms(validation):
    _, report, _ = validation
    terms = set(report["glossary_terms"])
    levels = ("Sensitive", "Confidential", "HighlyConfidential")
    assert {f"Classification.{c}" for c in levels} <= terms
    assert "PersonalInformation.Address" in terms


def test_each_mistake_fails_naming_the_recipe(validation):
    proc, report, broken = validation
    assert proc.returncode == 1
    for name, expect in broken.items():
        hits = [e for e in report["errors"] if name in e and expect in e]
        assert hits, f"{name}: no error containing {expect!r} in {report['errors']}"
    assert "Traceback" not in proc.stdout


def test_recipes_hold_no_literal_secrets_or_bare_dollar_vars():
    for path in RECIPES_DIR.rglob("*.yml"):
        text = path.read_text()
        assert "123456789012" not in text and "amazonaws.com" not in text, path
        bare = [w for w in text.split() if "$" in w and "${" not in w and not w.endswith("$")]
        assert not bare, f"{path}: environment references need braces: {bare}"
