"""The Python API: ``mobo.run`` with Python functions, and ask/tell."""

import pytest

import mobo
from mobo import config as C
from tests.conftest import tiny_table_config


def test_run_with_two_python_functions_needs_no_source(nb201_checkpoint, tmp_path):
    def accuracy(arch):
        return 80.0 + sum(op.startswith("nor_conv") for op in arch) * 2.0 - sum(op == "none" for op in arch)

    def latency(arch):
        return 1.0 + sum({"nor_conv_3x3": 3.0, "nor_conv_1x1": 1.0, "avg_pool_3x3": 0.5}.get(op, 0.0) for op in arch)

    config = {
        "name": "api", "seed": 1, "gvae": {"checkpoint": str(nb201_checkpoint)},
        "objectives": {"accuracy": {"direction": "maximize"}, "latency": {"direction": "minimize"}},
        "search": {"budget": 10, "initial": 6, "batch_size": 2, "mc_samples": 16},
    }
    result = mobo.run(config, evaluators={"accuracy": accuracy, "latency": latency}, out=tmp_path / "run",
                      progress=False)
    front = result.pareto_front()
    assert front and {"arch", "accuracy", "latency", "params_m", "mflops", "netscore"} <= set(front[0])
    assert len(result.history()) == 10 and result.hypervolume() > 0
    assert result.report is not None and result.report.is_file()
    assert (tmp_path / "run" / "history.csv").is_file()


def test_an_objective_without_source_needs_an_evaluator(nb201_checkpoint, tmp_path):
    config = C.from_dict({"gvae": {"checkpoint": str(nb201_checkpoint)},
                          "objectives": {"a": {"direction": "maximize"}, "b": {"source": "params",
                                                                            "direction": "minimize"}}})
    with pytest.raises(ValueError, match="objectives.a.source: no source: pass its evaluator"):
        mobo.Search(config, tmp_path / "run")
    with pytest.raises(ValueError, match="objectives.a.source: no source"):
        mobo.run(config, out=tmp_path / "run2", progress=False)
    assert not (tmp_path / "run").exists() and not (tmp_path / "run2").exists()


def test_ask_tell_then_resume_and_ask_again(nb201_csv, nb201_checkpoint, tmp_path):
    from mobo.objectives.table import BenchmarkTable

    table = BenchmarkTable(nb201_csv)
    config = C.from_dict(tiny_table_config(nb201_csv, nb201_checkpoint, budget=30))
    search = mobo.Search(config, tmp_path / "run", progress=False)
    first, second = search.ask(4), search.ask(4)  # asking again before telling proposes others
    assert len({search.space.format(a) for a in first + second}) == 8
    told = 0
    pending = first + second
    while told < 20:
        for arch in pending:
            text = search.space.format(arch)
            if told % 7 == 3:
                search.tell(arch, error="the board rebooted")
            else:
                search.tell(arch, {"accuracy": table.value(text, "acc_cifar10"),
                                   "latency": table.value(text, "lat_raspi4_ms")})
            told += 1
        pending = search.ask(4)
    with pytest.raises(ValueError, match="was not asked"):
        search.tell(first[0], {"accuracy": 90.0, "latency": 10.0})
    with pytest.raises(ValueError, match="give a value for each of accuracy, latency"):
        search.tell(pending[0], {"accuracy": 90.0})
    resumed = mobo.Search(C.load(tmp_path / "run" / "config.yaml"), tmp_path / "run", progress=False)
    assert len(resumed.history) == 20 and sum(r.failed for r in resumed.history.records) == 3
    again = resumed.ask(3)
    texts = {resumed.space.format(a) for a in again + pending}
    assert len(texts) == 7 and not texts & resumed.history.archs
    assert (tmp_path / "run" / "pareto.json").is_file()
