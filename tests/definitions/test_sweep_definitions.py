"""``kind: sweep`` documents: every file in invalid_sweeps/ is rejected with
exactly the messages it names; a valid one becomes the spec the workflow
runs; a trial's parameters are a pure function of its index."""

from __future__ import annotations

from pathlib import Path

import pytest

from baton.definitions import read_document
from baton.definitions.sweep import parse_sweep
from baton.errors import DefinitionError
from baton.plan.sweep import SweepSpec, better, metric_of, reaches, trial_params

INVALID = Path(__file__).parent / "invalid_sweeps"
CASES = sorted(INVALID.glob("*.yaml"))
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ml" / "sweep.yaml"


def test_the_folder_is_not_empty():
    assert len(CASES) >= 10


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_invalid_sweep_is_rejected_with_its_message(path: Path):
    expected = [
        line.removeprefix("# expect: ")
        for line in path.read_text().splitlines()
        if line.startswith("# expect: ")
    ]
    assert expected, f"{path.name} names no expected message"
    with pytest.raises(DefinitionError) as info:
        parse_sweep(read_document(path), str(path))
    assert str(info.value).splitlines() == [f"{path}: {message}" for message in expected]


def test_the_example_is_valid():
    spec = parse_sweep(read_document(EXAMPLE), str(EXAMPLE))
    assert spec.function == "examples.ml.training:sweep_trial"
    assert spec.total == len(spec.grid["learning_rate"]) * len(spec.grid["alpha"])
    assert spec.threshold is not None


def test_a_valid_random_sweep_becomes_its_spec():
    spec = parse_sweep(
        {
            "kind": "sweep",
            "name": "r",
            "trial": {"function": "pkg.mod:fn", "kwargs": {"epochs": 3}, "retries": 1},
            "space": {
                "random": {
                    "samples": 20,
                    "seed": 5,
                    "ranges": {
                        "lr": {"low": 1e-4, "high": 1e-1, "log": True},
                        "k": {"choices": [1, 2]},
                    },
                }
            },
            "metric": "loss",
            "goal": "minimize",
            "early_stop": {"patience": 4},
        },
        origin="cli",
    )
    assert spec.ranges == {"lr": {"low": 1e-4, "high": 1e-1, "log": True}, "k": {"choices": [1, 2]}}
    assert (spec.samples, spec.seed, spec.total) == (20, 5, 20)
    assert (spec.goal, spec.patience, spec.threshold, spec.retries) == ("minimize", 4, None, 1)
    assert (spec.parallelism, spec.trials_per_run, spec.origin) == (4, 50, "cli")
    assert spec.kwargs == {"epochs": 3}


def test_grid_trials_run_every_combination_in_order_last_parameter_fastest():
    spec = SweepSpec(name="g", function="m:f", metric="s", grid={"a": [1, 2, 3], "b": ["x", "y"]})
    assert [trial_params(spec, i) for i in range(spec.total)] == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
        {"a": 3, "b": "x"},
        {"a": 3, "b": "y"},
    ]


def test_the_parameters_order_survives_temporals_converter():
    """The converter sorts dict keys: the order travels as ``order``."""
    from temporalio.converter import DataConverter

    spec = parse_sweep(
        {
            "name": "o",
            "trial": {"function": "m:f"},
            "space": {"grid": {"lr": [1, 2, 3], "alpha": ["a", "b"]}},
            "metric": "s",
        }
    )
    converter = DataConverter.default.payload_converter
    (payload,) = converter.to_payloads([spec])
    (back,) = converter.from_payloads([payload], [SweepSpec])
    assert list(back.grid) == ["alpha", "lr"]  # sorted on the way
    assert [trial_params(back, i) for i in range(3)] == [
        {"lr": 1, "alpha": "a"},
        {"lr": 1, "alpha": "b"},
        {"lr": 2, "alpha": "a"},
    ]


def test_random_trials_depend_only_on_seed_and_index():
    ranges = {
        "lr": {"low": 1e-4, "high": 1e-1, "log": True},
        "n": {"low": 1, "high": 9, "integer": True},
        "opt": {"choices": ["sgd", "adam"]},
    }
    spec = SweepSpec(name="r", function="m:f", metric="s", ranges=ranges, samples=50, seed=3)
    draws = [trial_params(spec, i) for i in range(50)]
    assert draws == [trial_params(spec, i) for i in range(50)]  # the same again
    assert trial_params(spec, 7) == draws[7]
    assert all(1e-4 <= d["lr"] <= 1e-1 and d["n"] in range(1, 10) for d in draws)
    assert {d["opt"] for d in draws} == {"sgd", "adam"}
    assert len({d["lr"] for d in draws}) == 50
    other = SweepSpec(name="r", function="m:f", metric="s", ranges=ranges, samples=50, seed=4)
    assert trial_params(other, 0) != draws[0]


def test_metric_goal_and_threshold():
    spec = SweepSpec(name="m", function="m:f", metric="acc", threshold=0.9)
    assert metric_of({"acc": 0.5}, "acc") == 0.5 and metric_of(3, "acc") == 3.0
    for output in ({"loss": 1}, {"acc": "high"}, {"acc": True}, None, float("nan")):
        with pytest.raises(ValueError, match="no numeric 'acc'"):
            metric_of(output, "acc")
    assert better(spec, 0.6, 0.5) and reaches(spec, 0.9) and not reaches(spec, 0.89)
    low = SweepSpec(name="m", function="m:f", metric="loss", goal="minimize", threshold=0.1)
    assert better(low, 0.4, 0.5) and reaches(low, 0.1) and not reaches(low, 0.2)


def test_run_points_a_sweep_to_baton_sweep():
    from baton.plan import compile_file

    with pytest.raises(DefinitionError) as info:
        compile_file(EXAMPLE)
    assert (
        str(info.value)
        == f"{EXAMPLE}: kind: a sweep starts with `baton sweep FILE` (client.start_sweep)"
    )
