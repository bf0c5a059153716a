from pathlib import Path

import pytest
import yaml

from mobo import config as C
from mobo.config import ConfigError
from mobo.loop import Search
from mobo.objectives.latency import MeasuredLatencySource
from mobo.objectives.table import TableSource

BASE = {
    "name": "t",
    "table": {"path": "TABLE"},
    "objectives": {
        "accuracy": {"source": "table", "column": "acc", "direction": "maximize"},
        "latency": {"source": "table", "column": "lat", "direction": "minimize", "at_most": 20},
    },
}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_valid_config_is_typed(tmp_path):
    config = C.load(write(tmp_path, BASE))
    assert config.search.budget == 30 and config.gvae.model.latent_dim == 16 and config.gvae.train.epochs == 30
    lat = config.objective("latency")
    assert lat.at_most == 20.0 and isinstance(lat.at_most, float) and lat.sign == -1.0
    assert isinstance(lat.source, TableSource) and lat.source.column == "lat"
    assert config.accuracy_objective.name == "accuracy"


@pytest.mark.parametrize("overrides, initial", [
    ([], 10),                                     # budget 30: at least 10
    (["search.budget=100"], 20),                  # a fifth of the budget
    (["search.budget=103"], 20),
    (["search.budget=100", "search.initial=7"], 7),
    (["search.budget=100", "search.initial=null"], 20),
])
def test_initial_design_defaults_to_a_fifth_of_the_budget(tmp_path, overrides, initial):
    config = C.load(write(tmp_path, BASE), overrides)
    assert config.search.initial == initial
    assert C.from_dict(C.to_dict(config)).search.initial == initial  # the resolved config keeps it


@pytest.mark.parametrize(
    "override, message",
    [
        ("search.budgett=3", "search.budgett: unknown key"),
        ("search.budget=ten", "search.budget: expected an integer, got 'ten'"),
        ("search.acquisition=ucb", "search.acquisition: expected one of 'qlogehvi_measured'"),
        ("objectives.latency.direction=down", "objectives.latency.direction: expected one of 'maximize'"),
        ("objectives.latency.at_most=fast", "objectives.latency.at_most: expected a number or null, got 'fast'"),
        ("objectives.latency.repeats=3", "objectives.latency.repeats: unknown key for source 'table'"),
        ("objectives.latency.source=stopwatch", "objectives.latency.source: expected one of 'table'"),
        ("search.initial=40", "search.initial: 40 initial evaluations exceed search.budget=30"),
        ("table.path=null", "table.path: objective 'accuracy' reads the table"),
        ("gvae.model.latent_dim=0", "gvae.model: latent_dim must be at least 1"),
        ("gvae.train.test_fraction=1", "gvae.train: test_fraction must be in [0, 1)"),
        ("gvae.epochs=3", "gvae.epochs: unknown key; expected one of: checkpoint, model, train"),
        ("search.rescore_candidates=0", "search.rescore_candidates: must be at least 1, got 0"),
        ("seed=1.5", "seed: expected an integer"),
        ("search.local_candidates=-1", "search.local_candidates: must be at least 0, got -1"),
        ("search.outcome_floor=-0.5", "search.outcome_floor: must be at least 0"),
        ("search.surrogate_inputs=latent", "search.surrogate_inputs: unknown key"),
        ("objectives.accuracy.reference_quantile=1.5", "objectives.accuracy.reference_quantile: must lie in [0, 1]"),
        ("search.focus_every=-2", "search.focus_every: must be at least 0, got -2"),
        ("search.focus_quantile=75", "search.focus_quantile: must lie in [0, 1], got 75"),
    ],
)
def test_errors_name_the_key(tmp_path, override, message):
    with pytest.raises(ConfigError) as err:
        C.load(write(tmp_path, BASE), [override])
    assert message in str(err.value)


def test_a_bo_step_needs_candidates(tmp_path):
    overrides = ["search.local_candidates=0", "search.random_candidates=0", "search.neighbour_candidates=false"]
    with pytest.raises(ConfigError, match="a BO step has no candidates"):
        C.load(write(tmp_path, BASE), overrides)
    assert C.load(write(tmp_path, BASE), overrides[:2]).search.neighbour_candidates


def test_missing_required_keys(tmp_path):
    data = {"objectives": {"a": {"source": "table", "direction": "maximize"}, "b": {"source": "params",
                                                                                    "direction": "minimize"}},
            "table": {"path": "x"}}
    with pytest.raises(ConfigError, match="objectives.a.column: missing required key"):
        C.load(write(tmp_path, data))
    with pytest.raises(ConfigError, match="objectives: pareto mode needs at least 2"):
        C.load(write(tmp_path, {"objectives": {"a": {"source": "params", "direction": "minimize"}}}))


def test_overrides_apply_with_yaml_types(tmp_path):
    config = C.load(
        write(tmp_path, BASE),
        ["objectives.latency.column=lat_pixel3_ms", "table.path=/data/nb201.csv", "search.budget=12",
         "space.network.channels=8", "objectives.params.source=params", "objectives.params.direction=minimize"],
    )
    assert config.objective("latency").source.column == "lat_pixel3_ms"
    assert config.table.path == "/data/nb201.csv" and config.search.budget == 12
    assert config.space.network == {"channels": 8}
    assert [o.name for o in config.objectives] == ["accuracy", "latency", "params"]
    with pytest.raises(ConfigError, match="expected dotted.key=value"):
        C.load(write(tmp_path, BASE), ["search.budget"])


def test_source_options_are_validated(tmp_path):
    data = {"objectives": {
        "accuracy": {"source": "params", "direction": "maximize"},
        "latency": {"source": "measured_latency", "direction": "minimize", "repeats": 0},
    }}
    with pytest.raises(ConfigError, match="objectives.latency: repeats must be at least 1"):
        C.load(write(tmp_path, data))
    data["objectives"]["latency"]["repeats"] = 5
    assert C.load(write(tmp_path, data)).objective("latency").source == MeasuredLatencySource(repeats=5)


def test_resolved_config_round_trips(tmp_path):
    config = C.load(write(tmp_path, BASE), ["seed=7"])
    again = C.from_dict(yaml.safe_load(yaml.safe_dump(C.to_dict(config))))
    assert again == config and again.seed == 7


def test_missing_table_column_and_unknown_space(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("arch,acc,latency_ms\nx,1,2\n")
    data = dict(BASE, table={"path": str(table)})
    config = C.load(write(tmp_path, data))
    with pytest.raises(ValueError, match=r"objectives.latency.column: column 'lat' is not in table .* columns: acc, latency_ms"):
        Search(config, tmp_path / "run", progress=False)
    config = C.load(write(tmp_path, data), ["space.name=nb999", "objectives.latency.column=latency_ms"])
    with pytest.raises(ValueError, match="unknown search space 'nb999'; known spaces: enas, nb201, yolo"):
        Search(config, tmp_path / "run2", progress=False)


def test_saved_run_config_reads_back_the_same_data_paths(tmp_path, nb201_csv):
    """A config given as a mapping holds paths relative to the working directory; the run's saved
    copy is read relative to the run directory, so it stores them absolute."""
    import os

    from mobo.rundir import RunDir

    relative = os.path.relpath(nb201_csv)
    config = C.from_dict({"table": {"path": relative}, "objectives": {
        "accuracy": {"source": "table", "column": "acc_cifar10", "direction": "maximize"},
        "latency": {"source": "table", "column": "lat_raspi4_ms", "direction": "minimize"}}})
    run = RunDir(tmp_path / "deep" / "run")
    run.path.mkdir(parents=True)
    run.write_config(config)
    assert C.load(run.file(RunDir.CONFIG)).table.path == str(nb201_csv.resolve())
