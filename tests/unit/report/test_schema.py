"""The summary's documented schema: committed, current, and strict."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from soc.report.schema import Layer, LayerStalls, Summary, summary_json_schema

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "summary.schema.json"


def test_the_committed_schema_is_the_generated_one():
    """Regenerate with `soc schema > docs/summary.schema.json` after changing the models."""
    assert COMMITTED.read_text() == summary_json_schema()


def _properties(schema: dict) -> list[tuple[str, dict]]:
    found = list(schema.get("properties", {}).items())
    for definition in schema.get("$defs", {}).values():
        found += definition.get("properties", {}).items()
    return found


def test_every_field_is_described_and_every_unit_suffix_has_a_unit():
    schema = json.loads(summary_json_schema())
    for name, spec in _properties(schema):
        assert spec.get("description"), name
        if name.endswith(("_ps", "_pj", "_bytes", "_per_s")):
            assert spec.get("unit"), name
    assert schema["additionalProperties"] is False


def test_stall_causes_keep_their_names_in_the_file():
    stalls = LayerStalls.model_validate({"load-bound": 1, "drain-bound": 2, "dma-bound": 3})
    assert (stalls.load_bound, stalls.drain_bound, stalls.dma_bound) == (1, 2, 3)
    properties = json.loads(summary_json_schema())["$defs"]["LayerStalls"]["properties"]
    assert sorted(properties) == ["dma-bound", "drain-bound", "load-bound"]


def test_an_undocumented_field_is_rejected():
    with pytest.raises(ValidationError, match="extra_forbidden"):
        LayerStalls.model_validate(
            {"load-bound": 1, "drain-bound": 2, "dma-bound": 3, "noc-bound": 4}
        )
    assert Layer.model_config["extra"] == Summary.model_config["extra"] == "forbid"
