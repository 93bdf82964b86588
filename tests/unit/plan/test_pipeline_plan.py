"""Compiling pipelines: names made unique, buffers apart, errors at the model's key."""

import pytest

from soc.config import ScenarioConfig
from soc.errors import WorkloadError
from soc.plan.pipelines import plan_scenario


def scenario(*pipelines) -> ScenarioConfig:
    return ScenarioConfig.model_validate({"name": "t", "pipelines": list(pipelines)})


def test_names_get_the_pipeline_and_model_and_buffers_do_not_overlap():
    plan = plan_scenario(
        scenario(
            {"name": "a", "models": [{"model": "zoo:ds_cnn"}, {"model": "zoo:ds_cnn"}]},
            {"name": "b", "models": [{"model": "zoo:edge_cnn"}], "priority": 2},
        )
    )
    names = [p.node.name for p in plan.placements]
    assert len(names) == len(set(names))
    assert names[0] == "a.ds_cnn.conv1" and "a.ds_cnn2.conv1" in names and "b.conv1" in names
    assert [p.name for p in plan.programs] == ["a", "b"]
    assert [p.priority for p in plan.programs] == [0, 2]
    # pipeline a runs both of its models each frame, between one pre- and post-processing
    a_steps = [s.name for s in plan.programs[0].steps]
    assert a_steps[0] == "a.ds_cnn.conv1" and a_steps[-1] == "a.ds_cnn2.fc"
    # each model's buffers start where the one before ended
    starts = [w.program.preprocess.reads[0][0] for w in plan.workloads]
    ends = [w.free_addr for w in plan.workloads]
    assert all(end <= start for end, start in zip(ends, starts[1:], strict=False))
    assert plan.free_addr == ends[-1]


def test_a_model_error_names_its_key_in_the_pipeline():
    bad = scenario(
        {"name": "a", "models": [{"model": "zoo:ds_cnn"}]},
        {"name": "b", "models": [{"model": "zoo:ds_cnn", "per_layer": {"nope": "ws"}}]},
    )
    with pytest.raises(WorkloadError, match=r"^pipelines\[1\]\.models\[0\]\.per_layer\.nope: "):
        plan_scenario(bad)
