"""Evaluations on Ray: in parallel, on the workers that offer an objective's resources, and
nothing lost when a worker dies, an evaluation hangs, or the search itself is killed.

One two-node Ray cluster on loopback serves every test: a head with 3 CPUs and a node that
offers the custom resource ``testdev``.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from mobo import config as config_module
from mobo.loop import Search
from mobo.search import main as search_main
from spaces import get_space
from tests.fault_helpers import Faulty
from tests.test_faults import REPO, SMALL_NB201, slow_config, wait_for_rows

if os.environ.get("CI") == "true":  # CI installs the ray extra: a missing Ray fails there
    import ray
else:
    ray = pytest.importorskip("ray")

PORT = 6379 + 40_000 + os.getpid() % 1000


def _ray_start(ray_bin: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([ray_bin, "start", "--block", "--node-ip-address=127.0.0.1", "--disable-usage-stats",
                             *args], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """``(address, testdev node id, start log)``: a head (3 CPUs) and a ``testdev`` node on
    loopback, the test process connected; workers sleep 0.4 s per ``slow_accuracy`` and log
    each start of ``logged_accuracy``."""
    log = tmp_path_factory.mktemp("ray") / "starts.log"
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "FAULT_SLEEP", "FAULT_LOG")}
    # loopback only, so no token; the workers inherit the evaluators' settings
    os.environ.update(RAY_AUTH_MODE="disabled", FAULT_SLEEP="0.4", FAULT_LOG=str(log))
    ray_bin = str(Path(sys.executable).parent / "ray")
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths live under it
    address = f"127.0.0.1:{PORT}"
    nodes = [_ray_start(ray_bin, "--head", f"--port={PORT}", "--num-cpus=3", "--include-dashboard=false",
                        f"--temp-dir={temp}")]
    try:
        deadline = time.time() + 60
        while True:
            try:
                ray.init(address=address, logging_level="ERROR")
                break
            except (ConnectionError, RuntimeError):
                if time.time() > deadline:
                    raise
                time.sleep(1)
        nodes.append(_ray_start(ray_bin, f"--address={address}", "--num-cpus=2", '--resources={"testdev": 1}'))
        while len([n for n in ray.nodes() if n["Alive"]]) < 2:
            assert time.time() < deadline + 30, "the testdev node did not join"
            time.sleep(0.5)
        testdev = next(n["NodeID"] for n in ray.nodes() if n["Alive"] and "testdev" in n["Resources"])
        ray.get([_warm.remote(1.0) for _ in range(5)])  # a worker process per CPU, modules imported
        yield address, testdev, log
    finally:
        ray.shutdown()
        for node in nodes:  # `ray start --block` and every process it started share its session
            os.killpg(node.pid, signal.SIGKILL)
            node.wait()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@ray.remote(num_cpus=1)
def _warm(seconds: float) -> None:
    import mobo.execution.ray_workers  # noqa: F401 - what an evaluation imports

    time.sleep(seconds)


def concurrency(rows: list[dict[str, str]]) -> tuple[int, float]:
    """The most evaluations of ``rows`` that ran at the same time, and the wall time (s) during
    which at least one ran."""
    events = sorted([(_seconds(r["started"]), 1) for r in rows] + [(_seconds(r["ended"]), -1) for r in rows])
    running, most, busy, since = 0, 0, 0.0, 0.0
    for t, step in events:
        if running == 0:
            since = t
        running += step
        most = max(most, running)
        if running == 0:
            busy += t - since
    return most, busy


def ray_config(checkpoint: Path, workers: int = 3, budget: int = 12, initial: int = 9, **execution) -> dict:
    data = slow_config(checkpoint, budget=budget, initial=initial)
    data["execution"] = {"backend": "ray", "workers": workers, **execution}
    return data


def history(run: Path) -> list[dict[str, str]]:
    with (run / "history.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_evaluations_run_in_parallel_and_an_objective_on_the_workers_with_its_resources(
        cluster, nb201_checkpoint, tmp_path):
    _, testdev, _ = cluster
    data = ray_config(nb201_checkpoint)
    data["objectives"]["params"]["resources"] = {"testdev": 1}
    result = Search(config_module.from_dict(data), tmp_path / "run", progress=False).run()
    rows = history(result.run_dir)
    assert len(rows) == 12 and len({r["arch"] for r in rows}) == 12
    assert not any(r["failed"] == "1" for r in rows)
    # the initial design (9 evaluations of >= 0.4 s): 3 at a time, in well below the serial time
    initial = [r for r in rows if r["iteration"] == "0"]
    most, busy = concurrency(initial)
    assert most == 3 and busy < 0.6 * sum(float(r["seconds"]) for r in initial)
    # accuracy (no resources) in one task, params (testdev) in another, always on the testdev node
    for r in rows:
        workers = r["worker"].split("+")
        assert len(workers) == 2 and workers[1].startswith(testdev[:8]), r["worker"]
    assert Counter(r["iteration"] for r in rows)["1"] == 3  # the first BO step: one per free worker


def test_a_killed_worker_is_retried_and_a_hanging_evaluation_times_out(cluster, nb201_checkpoint, tmp_path):
    config = config_module.from_dict(ray_config(nb201_checkpoint, budget=6, initial=6, timeout_s=3.0, retries=1))
    space = get_space("nb201", **SMALL_NB201["network"])
    markers = tmp_path / "markers"
    markers.mkdir()
    faulty = Faulty(str(markers))
    Search(config, tmp_path / "run", evaluators={"accuracy": faulty}, space=space, progress=False).run()
    rows = history(tmp_path / "run")
    assert len(rows) == 6 and len({r["arch"] for r in rows}) == 6
    kinds = {r["arch"]: Faulty.kind(str(space.parse(r["arch"]))) for r in rows}
    assert set(kinds.values()) == {"killed_once", "killed_always", "hangs", "fine"}  # the test covers each
    for r in rows:
        kind, marker = kinds[r["arch"]], Path(faulty.marker(str(space.parse(r["arch"]))))
        if kind in ("killed_once", "fine"):
            assert r["failed"] == "0", r
        elif kind == "killed_always":
            assert r["failed"] == "1" and r["error"].startswith("worker died") and "tried 2 times" in r["error"], r
        else:
            assert r["failed"] == "1" and r["error"] == "timeout: still running after 3 s", r
        assert marker.exists() == kind.startswith("killed")


def test_kill_9_with_evaluations_in_flight_then_resume_reruns_only_the_unfinished(
        cluster, nb201_checkpoint, tmp_path, capsys):
    """Ctrl-C first (cancelled, told how to resume), then kill -9 of the resumed search, then resume."""
    address, _, log = cluster
    data = ray_config(nb201_checkpoint, budget=12, initial=6, address=address)
    data["objectives"]["accuracy"]["function"] = "tests.fault_helpers:logged_accuracy"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(data))
    run = tmp_path / "run"
    log.write_text("")
    _interrupt_at(run, 2)
    assert search_main([str(cfg), "--out", str(run), "--no-progress"]) == 130
    assert f"resume with python -m mobo.search --resume {run}" in capsys.readouterr().err

    proc = _search("--resume", str(run))
    wait_for_rows(run, 7, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(3)  # Ray ends the dead search's tasks; none may start after this
    space = get_space("nb201", **SMALL_NB201["network"])
    started = lambda: Counter(line.split(" ", 1)[1] for line in log.read_text().splitlines())  # noqa: E731
    finished = {str(space.parse(r["arch"])) for r in history(run)}
    assert len(finished) < 12
    before = started()
    assert search_main(["--resume", str(run), "--no-progress"]) == 0
    rows = history(run)
    assert len(rows) == 12 and len({r["arch"] for r in rows}) == 12
    after = started() - before
    assert not set(after) & finished  # nothing finished is evaluated again
    assert set(after) == {str(space.parse(r["arch"])) for r in rows} - finished  # the rest, each once
    assert all(n == 1 for n in after.values())


def _interrupt_at(run: Path, rows: int) -> None:
    """Ctrl-C to this process once ``run`` holds ``rows`` evaluations."""
    def watch() -> None:
        while not (run / "history.csv").exists() or len(history(run)) < rows:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, daemon=True).start()


def _search(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mobo.search", *args, "--no-progress"], cwd=REPO,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _seconds(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def test_config_errors_of_the_execution_block():
    base = slow_config(Path("unused.pt"))
    cases = [({"workers": 2}, "execution.workers: the local backend runs one evaluation at a time"),
             ({"backend": "ray", "workers": 0}, "execution.workers: must be at least 1"),
             ({"address": "auto"}, "execution.address: only the ray backend"),
             ({"backend": "ray", "retries": -1}, "execution.retries: must be at least 0"),
             ({"backend": "dask"}, "execution.backend: expected one of 'local', 'ray'")]
    for execution, message in cases:
        with pytest.raises(config_module.ConfigError, match=message):
            config_module.from_dict({**base, "execution": execution})
    resources = {**base, "objectives": {**base["objectives"], "params": {
        "source": "params", "direction": "minimize", "resources": {"pi5": 1}}}}
    with pytest.raises(config_module.ConfigError, match="objectives.params.resources: only Ray workers"):
        config_module.from_dict(resources)
    resources["execution"] = {"backend": "ray"}
    resources["objectives"]["params"]["resources"] = {"pi5": 0}
    with pytest.raises(config_module.ConfigError, match="objectives.params.resources.pi5: must be a positive"):
        config_module.from_dict(resources)


def test_resources_no_node_offers_is_an_error_not_a_hang(cluster, nb201_checkpoint, tmp_path):
    data = ray_config(nb201_checkpoint)
    data["objectives"]["params"]["resources"] = {"pi5": 1}
    with pytest.raises(ValueError, match=r"objectives.params.resources: no Ray node offers \{'pi5': 1.0\}"):
        Search(config_module.from_dict(data), tmp_path / "run", progress=False).run()
