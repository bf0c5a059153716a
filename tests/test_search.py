import csv
import json
import math

import pytest
import torch
import yaml

from mobo import config as C
from mobo.export import main as export_main
from mobo.loop import Search
from mobo.pareto import pareto_mask
from mobo.search import main as search_main
from tests.conftest import tiny_table_config



def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_tiny_table_search_writes_consistent_run(nb201_csv, nb201_checkpoint, tmp_path):
    cfg_path = tmp_path / "c.yaml"
    cfg_path.write_text(yaml.safe_dump(tiny_table_config(nb201_csv, nb201_checkpoint)))
    run = tmp_path / "run"
    assert search_main([str(cfg_path), "--out", str(run), "--no-progress"]) == 0
    for name in ("config.yaml", "history.csv", "hypervolume.csv", "reference_point.json", "pareto.csv",
                 "pareto.json", "search.log"):
        assert (run / name).is_file(), name
    resolved = yaml.safe_load((run / "config.yaml").read_text())
    assert resolved["seed"] == 3 and resolved["search"]["budget"] == 12

    history = read_csv(run / "history.csv")
    assert len(history) == 12
    assert len({row["arch"] for row in history}) == 12  # no architecture evaluated twice
    assert [int(r["iteration"]) for r in history][:6] == [0] * 6
    for row in history:
        assert row["feasible"] == ("1" if float(row["latency"]) <= 30.0 else "0")

    hv = [float(r["hypervolume"]) for r in read_csv(run / "hypervolume.csv")]
    assert hv == sorted(hv) and hv[-1] > 0

    pareto = read_csv(run / "pareto.csv")
    # exported columns carry their units; rows are sorted best-first by the first objective
    assert list(pareto[0])[:6] == ["index", "iteration", "arch", "key", "accuracy_pct", "latency_ms"]
    for r in pareto:
        r["accuracy"], r["latency"] = r.pop("accuracy_pct"), r.pop("latency_ms")
    accuracies = [float(r["accuracy"]) for r in pareto]
    assert accuracies == sorted(accuracies, reverse=True)
    assert all(len(r["accuracy"].replace(".", "").replace("-", "").lstrip("0")) <= 6 for r in pareto)  # rounded
    assert pareto and all(float(r["latency"]) <= 30.0 for r in pareto)
    y = torch.tensor([[float(r["accuracy"]), -float(r["latency"])] for r in pareto])
    assert bool(pareto_mask(y).all())
    # no feasible evaluation dominates a Pareto row
    feasible = [r for r in history if r["feasible"] == "1"]
    for p in pareto:
        assert not any(float(h["accuracy"]) > float(p["accuracy"]) and float(h["latency"]) < float(p["latency"])
                       for h in feasible)
    for r in pareto:
        assert float(r["params_m"]) > 0 and float(r["mflops"]) > 0 and math.isfinite(float(r["netscore"]))
    front = json.loads((run / "pareto.json").read_text())
    assert len(front["front"]) == len(pareto) and front["reference_point"]["latency"] == 30.0

    out = tmp_path / "front.txt"
    assert export_main([str(run), "--format", "arch", "--out", str(out)]) == 0
    assert out.read_text().splitlines() == [r["arch"] for r in pareto]


def test_resume_after_interruption_reevaluates_nothing(nb201_csv, nb201_checkpoint, tmp_path):
    config = C.from_dict(tiny_table_config(nb201_csv, nb201_checkpoint))
    run = tmp_path / "run"
    calls: list[str] = []
    first = Search(config, run, progress=False)
    lookup = first.evaluators["accuracy"]

    def accuracy(arch):
        calls.append(first.space.format(arch))
        if len(calls) == 8:
            raise KeyboardInterrupt  # Ctrl-C in the middle of an evaluation: the run stops
        return lookup(arch)

    first.evaluators["accuracy"] = accuracy
    with pytest.raises(KeyboardInterrupt):
        first.run()
    before = (run / "history.csv").read_text()
    assert len(read_csv(run / "history.csv")) == 7

    resumed_calls: list[str] = []
    second = Search(C.load(run / "config.yaml"), run, progress=False)
    lookup2 = second.evaluators["accuracy"]
    second.evaluators["accuracy"] = lambda a: resumed_calls.append(second.space.format(a)) or lookup2(a)
    result = second.run()
    assert result.evaluations == 12
    after = (run / "history.csv").read_text()
    assert after.startswith(before)  # history before the kill is unchanged
    finished = {r["arch"] for r in read_csv(run / "history.csv")[:7]}
    assert len(resumed_calls) == 5 and not finished & set(resumed_calls)


def test_failed_evaluations_are_recorded_and_search_goes_on(nb201_csv, nb201_checkpoint, tmp_path):
    config = C.from_dict(tiny_table_config(nb201_csv, nb201_checkpoint, budget=9, initial=6))
    search = Search(config, tmp_path / "run", progress=False)
    lookup = search.evaluators["latency"]
    count = {"n": 0}

    def flaky(arch):
        count["n"] += 1
        if count["n"] == 2:
            raise RuntimeError("device disconnected")
        if count["n"] == 4:
            return float("nan")
        return lookup(arch)

    search.evaluators["latency"] = flaky
    result = search.run()
    rows = read_csv(tmp_path / "run" / "history.csv")
    assert result.evaluations == 9 and len(rows) == 9
    assert rows[1]["failed"] == "1" and "RuntimeError: device disconnected" in rows[1]["error"]
    assert rows[3]["failed"] == "1" and "latency: ValueError: returned nan" in rows[3]["error"]
    assert rows[1]["feasible"] == "0" and sum(r["failed"] == "1" for r in rows) == 2


def test_search_runs_with_its_own_thread_count(nb201_csv, nb201_checkpoint, tmp_path):
    """``search.threads`` (1 by default) is torch's thread count during the run, whatever the
    caller's (restored after), so a seed gives one run on every machine; ``null`` keeps the caller's."""
    previous = torch.get_num_threads()
    histories = []
    try:
        for caller, threads, expected in ((2, 1, 1), (1, 1, 1), (2, None, 2)):
            torch.set_num_threads(caller)
            config = C.from_dict(tiny_table_config(nb201_csv, nb201_checkpoint, budget=9, threads=threads))
            search = Search(config, tmp_path / f"run{caller}-{threads}", progress=False)
            lookup, seen = search.evaluators["accuracy"], set()
            search.evaluators["accuracy"] = lambda arch: seen.add(torch.get_num_threads()) or lookup(arch)
            search.run()
            assert seen == {expected} and torch.get_num_threads() == caller
            histories.append([r.arch for r in search.history.records])
    finally:
        torch.set_num_threads(previous)
    assert histories[0] == histories[1] and len(histories[0]) == 9
    with pytest.raises(C.ConfigError, match="search.threads: must be at least 1"):
        C.from_dict(tiny_table_config(nb201_csv, nb201_checkpoint, threads=0))


@pytest.mark.parametrize("settings", [{"acquisition": "qlogparego"}, {"acquisition": "random"}])
def test_other_acquisitions_run(nb201_csv, nb201_checkpoint, tmp_path, settings):
    config = C.from_dict(tiny_table_config(nb201_csv, nb201_checkpoint, budget=9, **settings))
    result = Search(config, tmp_path / "run", progress=False).run()
    rows = read_csv(tmp_path / "run" / "history.csv")
    assert result.evaluations == 9 and len({r["arch"] for r in rows}) == 9


def test_focus_steps_aim_at_the_accurate_corner(nb201_csv, nb201_checkpoint, tmp_path, monkeypatch):
    """With ``focus_every: 2`` the second BO step ranks by hypervolume above the initial design's
    top-quarter accuracy (latency keeps its bound) and fits the outcomes compressed below that
    reference; the first step keeps the median reference and the clipped outcomes. The measured
    front the acquisition improves on is the fitted one."""
    import mobo.acquisition as acquisition
    import mobo.proposer as proposer
    from mobo.results import maximize_form
    from mobo.steps import StepKind
    from mobo.surrogate import clip_below_reference, compress_below_reference

    refs, fronts, fits = [], [], []
    build, fit = acquisition.ACQUISITIONS["qlogehvi_measured"], proposer.fit_surrogate

    def spy(inputs):
        fronts.append(inputs.y[inputs.feasible])
        refs.append(inputs.ref_point)
        return build(inputs)

    monkeypatch.setitem(acquisition.ACQUISITIONS, "qlogehvi_measured", spy)
    monkeypatch.setattr(proposer, "fit_surrogate", lambda x, y, *rest: fits.append(y) or fit(x, y, *rest))
    config = tiny_table_config(nb201_csv, nb201_checkpoint, focus_every=2)
    search = Search(C.from_dict(config), tmp_path / "run", progress=False)
    assert search.config.search.acquisition == "qlogehvi_measured"  # the default
    assert search.run().evaluations == 12 and len(refs) == len(fits) == 2
    records = search.history.records
    initial = torch.tensor([r.values["accuracy"] for r in records if r.iteration == 0 and r.feasible],
                           dtype=torch.float64)
    assert refs[0].tolist() == pytest.approx([float(initial.quantile(0.5)), -30.0])
    assert refs[1].tolist() == pytest.approx([float(initial.quantile(0.75)), -30.0])
    observed = [[r for r in records if r.iteration < it] for it in (1, 2)]
    raw = [maximize_form(o, search.config.objectives) for o in observed]
    assert torch.equal(fits[0], clip_below_reference(raw[0], refs[0], 0.5))
    assert torch.equal(fits[1], compress_below_reference(raw[1], refs[1], 0.5))
    for front, fitted, o in zip(fronts, fits, observed):
        assert torch.equal(front, fitted[torch.tensor([r.feasible for r in o])])
    # each kind of step warm-starts from its own last fit
    assert set(search.proposer.warm) == {StepKind.ORDINARY, StepKind.FOCUS}


def test_gp_sees_its_objectives_columns(nb201_csv, nb201_checkpoint, tmp_path):
    """Accuracy (maximized) sees the live one-hot choices and the path encoding, latency
    (minimized) the one-hot and the live one-hot choices."""
    from mobo.steps import StepKind

    data = tiny_table_config(nb201_csv, nb201_checkpoint, budget=9)
    search = Search(C.from_dict(data), tmp_path / "run", progress=False)
    result = search.run()
    rows = read_csv(tmp_path / "run" / "history.csv")
    assert result.evaluations == 9 and len({r["arch"] for r in rows}) == 9
    assert search.latent.encode([search.space.parse(rows[0]["arch"])]).shape[-1] == 8  # the test checkpoint's latent dimension
    state = search.proposer.warm[StepKind.ORDINARY]
    lengthscales = [v for k, v in state.items() if k.endswith("covar_module.raw_lengthscale")]
    assert [v.shape[-1] for v in lengthscales] == [30 + 40, 30 + 30]
    x, layout = search.proposer.featurize([search.space.parse(r["arch"]) for r in rows])
    assert x.shape == (9, 100) and layout.blocks == (("one_hot", 30), ("live_one_hot", 30), ("paths", 40))
    assert layout.objective_columns(search.config.objectives) == [list(range(30, 100)), list(range(60))]


def test_reward_mode_and_three_objectives(nb201_csv, nb201_checkpoint, tmp_path):
    data = tiny_table_config(nb201_csv, nb201_checkpoint, budget=9, mode="reward", reward={"preset": "hard"})
    data["objectives"]["energy"] = {"source": "table", "column": "energy_pi5_litert_cifar100_mj",
                                    "direction": "minimize", "at_most": 5.0}
    result = Search(C.from_dict(data), tmp_path / "run", progress=False).run()
    rows = read_csv(tmp_path / "run" / "history.csv")
    assert result.evaluations == 9
    for r in rows:
        met = float(r["latency"]) <= 30 and float(r["energy"]) <= 5
        expected = float(r["accuracy"]) * (1.0 if met else (float(r["latency"]) / 30) ** -1
                                             * (float(r["energy"]) / 5) ** -1)
        assert float(r["reward"]) == pytest.approx(expected)
    assert json.loads((tmp_path / "run" / "pareto.json").read_text())["objectives"][2]["name"] == "energy"


def test_existing_run_directory_needs_resume(nb201_csv, nb201_checkpoint, tmp_path, capsys):
    cfg_path = tmp_path / "c.yaml"
    cfg_path.write_text(yaml.safe_dump(tiny_table_config(nb201_csv, nb201_checkpoint, budget=6)))
    run = tmp_path / "run"
    assert search_main([str(cfg_path), "--out", str(run), "--no-progress"]) == 0
    assert search_main([str(cfg_path), "--out", str(run), "--no-progress"]) == 2
    assert "--resume" in capsys.readouterr().err
    # resuming a finished run evaluates nothing and keeps the history
    before = (run / "history.csv").read_text()
    assert search_main(["--resume", str(run), "--no-progress"]) == 0
    assert (run / "history.csv").read_text() == before


def test_killed_process_resumes_without_reevaluating(nb201_csv, nb201_checkpoint, tmp_path):
    """SIGKILL the command mid-run, then --resume: the rows written before the kill stay as they were."""
    import os
    import signal
    import subprocess
    import sys
    import time

    data = tiny_table_config(nb201_csv, nb201_checkpoint, budget=14, initial=6)
    # measured latency on this host makes evaluations slow enough to kill the run in the middle
    data["objectives"]["host_latency"] = {"source": "measured_latency", "direction": "minimize", "repeats": 40,
                                          "warmup": 2}
    data["space"] = {"name": "nb201", "network": {"channels": 16, "cells_per_stage": 2}}
    cfg_path = tmp_path / "c.yaml"
    cfg_path.write_text(yaml.safe_dump(data))
    run = tmp_path / "run"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "mobo.search", str(cfg_path), "--out", str(run), "--no-progress"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    history = run / "history.csv"
    deadline = time.time() + 120
    while time.time() < deadline:
        if history.exists() and len(read_csv(history)) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before_rows = read_csv(history)
    before = history.read_text()
    assert 3 <= len(before_rows) < 14
    assert search_main(["--resume", str(run), "--no-progress"]) == 0
    after_rows = read_csv(history)
    assert history.read_text().startswith(before)
    assert len(after_rows) == 14 and len({r["arch"] for r in after_rows}) == 14


def test_two_runs_in_one_process_write_their_own_logs(nb201_csv, nb201_checkpoint, tmp_path):
    """Each run's ``search.log`` holds its own evaluations only, and the logger is left as it was."""
    import logging

    logger = logging.getLogger("latentnas")
    handlers, level = list(logger.handlers), logger.level
    config = C.from_dict(tiny_table_config(nb201_csv, nb201_checkpoint, budget=7))
    first = Search(config, tmp_path / "a", progress=False)
    second = Search(C.from_dict({**tiny_table_config(nb201_csv, nb201_checkpoint, budget=8), "seed": 4}),
                    tmp_path / "b", progress=False)
    first.run()
    second.run()
    logs = [(tmp_path / name / "search.log").read_text() for name in ("a", "b")]
    assert [log.count(" eval ") for log in logs] == [7, 8]
    for log, search in zip(logs, (first, second)):
        assert all(r.arch in log for r in search.history.records)
    assert logger.handlers == handlers and logger.level == level


def test_a_run_releases_torch_global_state(nb201_csv, nb201_checkpoint, tmp_path):
    """Torch's thread count and global generator are the run's while it runs, the caller's after."""
    previous = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    config = C.from_dict(tiny_table_config(nb201_csv, nb201_checkpoint, budget=8, threads=1))
    Search(config, tmp_path / "run", progress=False).run()
    assert torch.equal(torch.rand(3), expected) and torch.get_num_threads() == previous
