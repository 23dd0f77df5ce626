"""The jsonschema patch still validates every value and rejects bad schemas."""

from __future__ import annotations

import pytest

from devkit import patches


def test_param_values_are_still_validated_every_time_and_bad_schemas_rejected():
    import jsonschema
    from airflow.sdk import Param
    from airflow.sdk.exceptions import ParamValidationError

    patches.apply_all()
    days = Param(3, type="integer", minimum=1)
    assert days.resolve() == 3 and days.resolve(5) == 5  # the schema was checked once
    with pytest.raises(ParamValidationError):
        days.resolve(0)
    with pytest.raises(ParamValidationError):
        days.resolve("three")
    with pytest.raises(jsonschema.exceptions.SchemaError):
        jsonschema.validate(1, {"type": "no-such-type"})
