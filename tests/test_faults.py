"""The fault suite: what a careful user can do wrong, and what a crash or a signal can do to a run.

Every case ends in one ``error:`` line and exit status 2 (bad input), a clean stop with a resume
hint (signals), or a finished run; nothing evaluated is lost or evaluated twice.
"""

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from mobo.search import main as search_main
from tests.conftest import tiny_table_config

REPO = Path(__file__).resolve().parents[1]
SMALL_NB201 = {"name": "nb201", "network": {"channels": 8, "cells_per_stage": 1}}


def rows(run: Path) -> list[dict[str, str]]:
    with (run / "history.csv").open(newline="") as f:
        return [{k: v for k, v in row.items() if k not in ("seconds", "started", "ended")} for row in csv.DictReader(f)]


def slow_config(checkpoint: Path, budget: int = 14, **search) -> dict:
    """Deterministic objectives that take a moment each: a user function's accuracy and the parameters."""
    return {
        "name": "faults", "seed": 5, "space": SMALL_NB201, "gvae": {"checkpoint": str(checkpoint)},
        "objectives": {
            "accuracy": {"source": "callable", "function": "tests.fault_helpers:slow_accuracy",
                         "direction": "maximize"},
            "params": {"source": "params", "direction": "minimize"},
        },
        "search": {"budget": budget, "initial": 6, "batch_size": 4, "mc_samples": 16, **search},
    }


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def start(cfg: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mobo.search", str(cfg), *args, "--no-progress"], cwd=REPO,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_rows(run: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            if len(rows(run)) >= n:
                return
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.02)
    raise AssertionError(f"the run did not reach {n} rows")


def test_two_searches_on_one_directory_one_runs_the_other_is_refused(nb201_checkpoint, tmp_path):
    cfg = write(tmp_path / "c.yaml", slow_config(nb201_checkpoint, budget=10))
    run = tmp_path / "run"
    procs = [start(cfg, "--out", str(run)) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "in use by process" in refused or "already holds a run" in refused
    assert "Traceback" not in refused
    history = rows(run)
    assert len(history) == 10 and len({r["arch"] for r in history}) == 10


def test_kill_9_anywhere_then_resume_gives_the_uninterrupted_history(nb201_checkpoint, tmp_path):
    """Kills in the initial design, in the middle of a batch and near a batch boundary."""
    cfg = write(tmp_path / "c.yaml", slow_config(nb201_checkpoint))
    reference = tmp_path / "reference"
    assert search_main([str(cfg), "--out", str(reference), "--no-progress"]) == 0
    expected = rows(reference)
    for k in (3, 8, 10):
        run = tmp_path / f"killed{k}"
        proc = start(cfg, "--out", str(run))
        wait_for_rows(run, k, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert len(rows(run)) < 14
        assert search_main(["--resume", str(run), "--no-progress"]) == 0
        assert rows(run) == expected, f"killed after {k} rows"


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_cleanly_and_it_resumes(nb201_checkpoint, tmp_path, signum, status):
    cfg = write(tmp_path / "c.yaml", slow_config(nb201_checkpoint, budget=12))
    run = tmp_path / "run"
    proc = start(cfg, "--out", str(run))
    wait_for_rows(run, 3, proc)
    started = time.time()
    proc.send_signal(signum)
    assert proc.wait(timeout=30) == status and time.time() - started < 10
    err = proc.stderr.read()
    assert f"interrupted: resume with python -m mobo.search --resume {run}" in err and "Traceback" not in err
    assert search_main(["--resume", str(run), "--no-progress"]) == 0
    assert len(rows(run)) == 12


def bad_table(tmp_path: Path, nb201_csv: Path, edit) -> Path:
    """A copy of the NB201 table with ``edit(header, rows)`` applied."""
    with nb201_csv.open(newline="") as f:
        reader = csv.reader(f)
        header, body = next(reader), list(reader)
    header, body = edit(header, body)
    path = tmp_path / "table.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([header, *body])
    return path


def _cell(header, body, row, column, value):
    body[row][header.index(column)] = value
    return header, body


def _blank(header, body, share):
    for k in range(0, len(body)):
        if k % 10 < share * 10:
            body[k][header.index("acc_cifar10")] = ""
    return header, body


@pytest.mark.parametrize("edit, message", [
    (lambda h, b: _cell(h, b, 1, "acc_cifar10", "n/a"), "column 'acc_cifar10', row 3: 'n/a' is not a number"),
    (lambda h, b: (h, [b[0], b[1], b[2][:3], *b[3:]]), "row 4: 3 cells, the header has"),
    (lambda h, b: (h, [[" " + v if c == "arch" else v for c, v in zip(h, r)] for r in b]),
     "0 usable rows of 15,625"),
    (lambda h, b: (h, b[:5]), "5 usable rows of 5, fewer than the 6 the initial design needs"),
    (lambda h, b: (h, b[:50]), "has 50 usable rows for the 15,625 architectures"),
    (lambda h, b: _blank(h, b, 0.9), "14,063 no value in column 'acc_cifar10'"),
    (lambda h, b: _cell(h, b, 7, "lat_raspi4_ms", "inf"), "column 'lat_raspi4_ms', row 9: infinite value"),
])
def test_a_bad_table_is_refused_before_the_first_evaluation(nb201_csv, nb201_checkpoint, tmp_path, capsys, edit,
                                                           message):
    table = bad_table(tmp_path, nb201_csv, edit)
    cfg = write(tmp_path / "c.yaml", tiny_table_config(table, nb201_checkpoint))
    run = tmp_path / "run"
    assert search_main([str(cfg), "--out", str(run), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert not run.exists()


@pytest.mark.parametrize("change, message", [
    ({"objectives.accuracy.at_least": float("nan")}, "objectives.accuracy.at_least: must be a finite number"),
    ({"objectives.accuracy.at_most": 80.0}, "objectives.accuracy.at_most: a maximized objective is bounded with "
                                            "at_least"),
    ({"objectives.latency.at_least": 1.0}, "objectives.latency.at_least: a minimized objective is bounded with at_most"),
    ({"objectives.latency.column": "acc_cifar10"}, "objectives.latency.column: 'acc_cifar10' is read by objective "
                                                   "'accuracy' too"),
    ({"search.budget": 20000, "search.initial": 10}, "search.budget: 20000 evaluations exceed the 15,625 "
                                                     "architectures of space 'nb201'"),
    ({"name": "../../x"}, "name: must be a single folder name"),
    ({"name": "/tmp/x"}, "name: must be a single folder name"),
    ({"execution.timeout_s": 0}, "execution.timeout_s: must be a positive number"),
])
def test_a_meaningless_config_is_refused(nb201_csv, nb201_checkpoint, tmp_path, capsys, change, message):
    data = tiny_table_config(nb201_csv, nb201_checkpoint)
    for key, value in change.items():
        node = data
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    cfg = write(tmp_path / "c.yaml", data)
    assert search_main([str(cfg), "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "run").exists()


def test_set_with_broken_yaml_is_one_error_line(nb201_csv, nb201_checkpoint, tmp_path, capsys):
    cfg = write(tmp_path / "c.yaml", tiny_table_config(nb201_csv, nb201_checkpoint))
    assert search_main([str(cfg), "--set", "search.budget=[1,2", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--set 'search.budget=[1,2': the value is not valid YAML" in err and err.count("\n") == 1


@pytest.fixture(scope="module")
def finished_once(nb201_csv, nb201_checkpoint, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("finished")
    cfg = write(folder / "c.yaml", tiny_table_config(nb201_csv, nb201_checkpoint))
    run = folder / "run"
    assert search_main([str(cfg), "--out", str(run), "--no-progress"]) == 0
    return run


@pytest.fixture
def finished(finished_once, tmp_path) -> Path:
    """A copy of a finished 12-evaluation run, for one test to damage."""
    return Path(shutil.copytree(finished_once, tmp_path / "run"))


def test_resume_refuses_a_budget_below_the_rows_done(finished, capsys):
    before = (finished / "config.yaml").read_text()
    assert search_main(["--resume", str(finished), "--budget", "10", "--no-progress"]) == 2
    assert "search.budget: 10 is below the 12 evaluations the run" in capsys.readouterr().err
    assert (finished / "config.yaml").read_text() == before


@pytest.mark.parametrize("damage, message", [
    (lambda run: (run / "reference_point.json").unlink(), "reference_point.json' is missing"),
    (lambda run: (run / "reference_point.json").write_text("{garbage"), "reference_point.json' is damaged"),
    (lambda run: (run / "gvae" / "model.pt").write_bytes(b"not a checkpoint"), "model.pt' cannot be read"),
    (lambda run: (run / "history.csv").write_text((run / "history.csv").read_text().rsplit("\n", 2)[0][:-40]),
     "history.csv, row 12: damaged"),
    (lambda run: (run / "proposal.pt").write_bytes(b"\0\0"), "proposal.pt' is damaged"),
])
def test_a_damaged_run_file_is_refused_naming_it(finished, capsys, damage, message):
    damage(finished)
    assert search_main(["--resume", str(finished), "--budget", "16", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_an_evaluator_that_exits_or_hangs_is_a_failed_evaluation(nb201_checkpoint, tmp_path):
    """``sys.exit`` in a user function is recorded; under ``execution.timeout_s`` so is one that never returns."""
    for function, timeout, error in (("exits_sometimes", None, "SystemExit"),
                                     ("hangs_sometimes", 1.0, "timeout: still running after 1 s")):
        data = slow_config(nb201_checkpoint, budget=9)
        data["objectives"]["accuracy"]["function"] = f"tests.fault_helpers:{function}"
        data["execution"] = {"timeout_s": timeout}
        run = tmp_path / function
        assert search_main([str(write(tmp_path / "c.yaml", data)), "--out", str(run), "--no-progress"]) == 0
        history = rows(run)
        failed = [r for r in history if r["failed"] == "1"]
        assert len(history) == 9 and failed and all(error in r["error"] for r in failed), history


def test_paths_in_a_config_file_are_relative_to_it(nb201_csv, nb201_checkpoint, tmp_path):
    folder = tmp_path / "configs"
    folder.mkdir()
    data = tiny_table_config(Path(os.path.relpath(nb201_csv, folder)), nb201_checkpoint, budget=7)
    cfg = write(folder / "c.yaml", data)
    run = tmp_path / "run"
    assert search_main([str(cfg), "--out", str(run), "--no-progress"]) == 0
    assert yaml.safe_load((run / "config.yaml").read_text())["table"]["path"] == str(nb201_csv.resolve())


def test_two_searches_on_a_cold_cache_train_the_graph_vae_once(nb201_csv, tmp_path):
    data = tiny_table_config(nb201_csv, tmp_path / "unused.pt", budget=7)
    data["gvae"] = {"model": {"latent_dim": 4, "hidden_dim": 8, "num_layers": 1},
                    "train": {"epochs": 1, "max_archs": 300}}
    data["output_root"] = str(tmp_path / "out")
    cfg = write(tmp_path / "c.yaml", data)
    procs = [start(cfg, "--out", str(tmp_path / f"run{k}")) for k in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    logs = [(tmp_path / f"run{k}" / "search.log").read_text() for k in range(2)]
    assert sum("graph VAE: training" in log for log in logs) == 1
    assert sum("graph VAE: cached model" in log for log in logs) == 1


def test_a_numpy_scalar_from_a_user_function_is_a_number_and_huge_accuracies_score(nb201_checkpoint, tmp_path):
    from mobo.pareto import netscore

    data = slow_config(nb201_checkpoint, budget=7)
    data["objectives"]["accuracy"]["function"] = "tests.fault_helpers:numpy_accuracy"
    run = tmp_path / "run"
    assert search_main([str(write(tmp_path / "c.yaml", data)), "--out", str(run), "--no-progress"]) == 0
    assert not [r for r in rows(run) if r["failed"] == "1"]
    assert netscore(1e308, 1.0, 1.0) == pytest.approx(20 * 2 * 308)  # no OverflowError
