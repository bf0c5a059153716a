"""Per-iteration overhead of the search: GP fit, acquisition, candidates and their ranking.

Usage::

    python -m bench.mobo_overhead --table ../shared/benchmarks/nb201.csv [--observations 100] [--q 4]
        [--seeds 0 1 2 3 4] [--checkpoint model.pt] [--threads N|null] [--rescore-candidates N] [--pending K]

Fills a run's history with ``--observations`` uniformly sampled NB201 cells
scored from the table (accuracy, latency), then times proposals of ``q`` candidates
(``Search.propose``: encode, GP fit, acquisition, candidates decoded,
de-duplicated and ranked) per seed, with the default search settings: the first proposal
of a run (cold GP fit) and, as in every later iteration, proposals whose fit is
warm-started from the previous fit of the same kind of step. With ``search.focus_every: k``
the script proposes ``2k`` iterations (at least 4) and averages the last ``k`` (at least 2):
the first focus step, iteration ``k``, is cold too, and the last ``k`` hold ordinary and
focus steps in the proportion of a run. The proposals run with ``search.threads`` torch threads
(1 by default, as in a run; ``--threads null``: torch's default), and the later picks of a batch
rescore ``search.rescore_candidates`` candidates (256 by default). ``--pending K``: each proposal
has ``K`` other unevaluated cells pending (evaluations in flight on other workers). Prints each
and the medians (s).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import torch

from mobo.evaluation import evaluation_of, run_evaluators
from mobo.execution import Job
from mobo import config as config_module
from mobo.acquisition import uncompiled_log_ehvi
from mobo.loop import Search
from spaces.profile import torch_threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", required=True)
    parser.add_argument("--observations", type=int, default=100)
    parser.add_argument("--q", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--checkpoint", default=None, help="graph VAE checkpoint (default: train/cache one)")
    parser.add_argument("--acquisition", default=None, help="search.acquisition (default: the search's default)")
    parser.add_argument("--threads", default=None, help="search.threads (default: the search's default; null: torch's)")
    parser.add_argument("--pending", type=int, default=0, help="architectures pending in each proposal")
    parser.add_argument("--rescore-candidates", default=None,
                        help="search.rescore_candidates (default: the search's default)")
    args = parser.parse_args()
    overrides = [
        f"table.path={args.table}",
        f"search.batch_size={args.q}",
        f"search.budget={args.observations + args.q}",
    ]
    if args.acquisition:
        overrides.append(f"search.acquisition={args.acquisition}")
    if args.checkpoint:
        overrides.append(f"gvae.checkpoint={args.checkpoint}")
    if args.threads:
        overrides.append(f"search.threads={args.threads}")
    if args.rescore_candidates:
        overrides.append(f"search.rescore_candidates={args.rescore_candidates}")
    times: list[float] = []
    cold: list[float] = []
    for seed in args.seeds:
        config = config_module.load(Path("configs/nb201_table.yaml"), overrides + [f"seed={seed}"])
        with tempfile.TemporaryDirectory() as run_dir:
            search = Search(config, Path(run_dir), progress=False)
            rng = random.Random(seed)
            while len(search.history) < args.observations:
                arch = search.space.sample(rng)
                if search.space.format(arch) not in search.history.archs:
                    values, error = run_evaluators(arch, search.evaluators)
                    search.history.records.append(evaluation_of(arch, values, error, config, search.space,
                                                                len(search.history), 0, 0.0))
            pending: list[Job] = []
            while len(pending) < args.pending:
                text = search.space.format(search.space.sample(rng))
                if text not in search.history.archs | {j.arch for j in pending}:
                    pending.append(Job(text, 1))
            elapsed = []
            warm = max(search.config.search.focus_every, 2)
            with torch_threads(config.search.threads), uncompiled_log_ehvi():
                threads = torch.get_num_threads()
                search.bounds  # the latent box is computed once per run, not per iteration
                for iteration in range(1, 2 * warm + 1):
                    start = time.perf_counter()
                    batch = search.propose(iteration, args.q, pending)
                    elapsed.append(time.perf_counter() - start)
                    assert len(batch) == args.q
            timing = search.files.read_timing()
            cold.append(float(timing[0][2]) + float(timing[0][3]))
            times.append(statistics.mean(elapsed[warm:]))
        _, _, fit_s, cand_s, _, n_cand = (float(v) for v in timing[-1])
        print(f"seed {seed}: {times[-1]:.2f} s, first iteration {cold[-1]:.2f} s (fit {fit_s:.2f}, "
              f"candidates and ranking {cand_s:.2f} for {n_cand:.0f} candidates)", flush=True)
    print(f"{search.config.search.acquisition}, {args.observations} observations, q={args.q}, "
          f"{args.pending} pending, latent dim "
          f"{search.latent.latent_dim}, {threads} threads, {search.config.search.rescore_candidates} "
          f"candidates rescored: median {statistics.median(times):.2f} s "
          f"per iteration (min {min(times):.2f}, max {max(times):.2f}); first iteration of a run (cold GP fit): "
          f"median {statistics.median(cold):.2f} s")


if __name__ == "__main__":
    main()
