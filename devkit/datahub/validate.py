"""Validate DataHub recipes offline with DataHub's own config models.

Runs with `.venv-datahub/bin/python` (the DataHub CLI's venv, not Airflow's):

    .venv-datahub/bin/python devkit/datahub/validate.py recipes/*.yml recipes/glossary/recipe.yml

For each recipe: every `${VAR}` resolves from the environment (an unset one
without a `:-default` is reported by name, not as a traceback), the whole
recipe fits `PipelineConfig`, the source's and the sink's config classes
accept their configs, and every transformer builds through its own `create`.
Glossary recipes load their glossary file; every glossary term a recipe names
must exist in it. Prints one line per recipe ("ok" or "error: ..."), a JSON
summary on the last line, and exits 1 if any recipe is invalid.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import yaml

TERM_URN = re.compile(r"urn:li:glossaryTerm:([A-Za-z0-9_.\-]+)")


def _short(err: Exception) -> str:
    return " ".join(str(err).split())[:600]


def resolve(raw: dict, environ) -> dict:
    """Expand `${VAR}` like `datahub ingest`; an unset variable raises ValueError naming it."""
    from datahub.configuration.config_loader import EnvResolver
    from expandvars import UnboundVariable

    try:
        return EnvResolver(environ=environ, register_secrets=False).resolve(raw)
    except UnboundVariable as err:
        name = str(err).split(":")[0].strip(" '\"")
        raise ValueError(f"environment variable ${{{name}}} is not set (and has no default)")


def glossary_terms(glossary_file: Path) -> set[str]:
    """Term ids (`Node.Term`) of a business glossary file, after validating it."""
    from datahub.ingestion.source.metadata.business_glossary import BusinessGlossaryConfig

    config = BusinessGlossaryConfig.model_validate(yaml.safe_load(glossary_file.read_text()))
    terms: set[str] = set()
    inherits: list[tuple[str, str]] = []

    def walk(nodes, path: list[str]) -> None:
        for node in nodes or []:
            for term in node.terms or []:
                term_id = ".".join([*path, node.name, term.name])
                terms.add(term_id)
                inherits.extend((term_id, parent) for parent in term.inherits or [])
            walk(node.nodes, [*path, node.name])

    walk(config.nodes, [])
    terms.update(term.name for term in config.terms or [])
    for term_id, parent in inherits:
        if parent not in terms:
            raise ValueError(f"term {term_id} inherits {parent}, which the glossary lacks")
    return terms


def validate(path: Path, environ, base: Path) -> tuple[dict, set[str], set[str]]:
    """Validate one recipe; returns (its summary, terms it references, terms it defines)."""
    from datahub.ingestion.api.common import PipelineContext
    from datahub.ingestion.run.pipeline_config import PipelineConfig
    from datahub.ingestion.sink.sink_registry import sink_registry
    from datahub.ingestion.source.source_registry import source_registry
    from datahub.ingestion.transformer.transform_registry import transform_registry

    raw = yaml.safe_load(path.read_text())
    if not isinstance(raw, dict):
        raise ValueError("not a YAML mapping")
    config = resolve(raw, environ)
    pipeline = PipelineConfig.model_validate(config)
    source_type = pipeline.source.type
    source_class = source_registry.get(source_type)
    source_config = source_class.get_config_class().model_validate(pipeline.source.config or {})
    sink_class = sink_registry.get(pipeline.sink.type)
    sink_class.get_config_class().model_validate(pipeline.sink.config or {})
    ctx = PipelineContext(
        run_id="validate", graph=_graph_for(pipeline), pipeline_name=pipeline.pipeline_name
    )
    transformers = [
        _build_transformer(t, ctx, transform_registry) for t in pipeline.transformers or []
    ]
    defined: set[str] = set()
    if source_type == "datahub-business-glossary":
        glossary = Path(str(source_config.file))
        defined = glossary_terms(glossary if glossary.is_absolute() else base / glossary)
    referenced = set(TERM_URN.findall(json.dumps(raw.get("transformers") or [])))
    summary = {
        "recipe": str(path),
        "source": source_type,
        "sink": pipeline.sink.type,
        "transformers": transformers,
        "terms": sorted(referenced),
    }
    return summary, referenced, defined


def _graph_for(pipeline):
    """A datahub-rest sink gives a real run a graph client (PATCH semantics need one);
    offline, a stand-in with the same interface lets the transformers build."""
    if pipeline.sink.type != "datahub-rest" and pipeline.datahub_api is None:
        return None
    from unittest import mock

    from datahub.ingestion.graph.client import DataHubGraph

    return mock.create_autospec(DataHubGraph, instance=True)


def _build_transformer(transformer, ctx, registry) -> str:
    """Build one transformer as a run would; its type, or why it does not build."""
    try:
        registry.get(transformer.type).create(transformer.config or {}, ctx)
    except Exception as err:
        raise ValueError(f"transformer {transformer.type!r}: {_short(err)}") from None
    return transformer.type


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted(Path("recipes").rglob("*.yml"))
    base = Path(os.environ.get("DATAHUB_RECIPES_DIR", "recipes"))
    results, errors, referenced, defined = [], [], {}, set()
    recipes = [p for p in paths if "glossary" not in p.stem or p.name == "recipe.yml"]
    for path in recipes:
        try:
            summary, refs, terms = validate(path, os.environ, base)
        except Exception as err:
            errors.append(f"{path}: {_short(err)}")
            print(f"error {path}: {_short(err)}")
            continue
        results.append(summary)
        referenced[str(path)] = refs
        defined |= terms
        print(f"ok    {path} ({summary['source']} -> {summary['sink']})")
    if defined:
        for recipe, refs in referenced.items():
            for term in sorted(refs - defined):
                errors.append(f"{recipe}: glossary term {term} is not in the business glossary")
                print(f"error {recipe}: glossary term {term} is not in the business glossary")
    elif any(referenced.values()):
        print("note  no glossary recipe given: term references not checked")
    print(json.dumps({"recipes": results, "errors": errors, "glossary_terms": sorted(defined)}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
