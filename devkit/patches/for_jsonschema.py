"""Patch of jsonschema's `validate`, which Airflow's Param calls at every resolve."""

from __future__ import annotations

import json

from devkit.patches import Patch


def check_each_param_schema_once() -> None:
    """Check a Param's JSON schema against the meta-schema once, not at every resolve.

    `Param.resolve` calls `jsonschema.validate`, which re-checks the schema itself
    each time (~1.2 ms) before validating the value; tasks resolve every DAG and
    task param several times, ~1 s of a 46-task TICKIT night. Values are still
    validated every time, and a schema is still checked (and rejected) the first
    time it is seen.
    """
    import jsonschema

    validate = jsonschema.validate
    checked: set[str] = set()

    def validate_checking_schema_once(instance, schema, cls=None, *args, **kwargs):
        try:
            key = json.dumps(schema, sort_keys=True)
        except (TypeError, ValueError):
            return validate(instance, schema, cls, *args, **kwargs)
        if key not in checked:
            validate(instance, schema, cls, *args, **kwargs)  # checks the schema too
            checked.add(key)
            return None
        cls = cls or jsonschema.validators.validator_for(schema)
        error = jsonschema.exceptions.best_match(cls(schema, *args, **kwargs).iter_errors(instance))
        if error is not None:
            raise error
        return None

    jsonschema.validate = validate_checking_schema_once


PATCHES = (
    Patch("check_each_param_schema_once", {"jsonschema": "4.26.0"}, check_each_param_schema_once),
)
