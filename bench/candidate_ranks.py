"""Where a LatentNAS search loses the true front: candidate generation or candidate ranking.

Usage::

    python -m bench.candidate_ranks --table PATH --accuracy COL --latency COL [--energy COL]
        [--seeds 0 1 2] [--budget 100] [--set KEY=VALUE ...] [--out DIR]

Runs the real search (``bench.methods.search_config``, the same defaults as
``bench.mobo``) and, at every BO step, compares what it did with the table's
truth:

* ``front@cand``: share of BO steps whose candidate set held at least one of
  the true Pareto-optimal rows inside the ROI (generation);
* ``rank``: the best acquisition rank (0 = the first pick; the acquisition with
  no pick pending) of such a row in the steps that held one, median over those
  steps (ranking);
* ``mean rank``: the same row's rank among the candidates by the GP's posterior
  mean of accuracy, among the candidates whose true costs lie inside the ROI
  (whether the model knows the row is accurate);
* ``roi/cand``: share of candidates inside the ROI (the base rate of a pick);
* ``picks roi / acc / cost``: share of the picks inside the ROI, in the table's
  top quarter of accuracy, and at or under the median of every cost;
* ``rho acc``: Spearman rank correlation of the posterior-mean accuracy with the
  true accuracy over the candidates, in the first and last third of the steps;
* ``sd picks`` / ``sd front``: the GP's posterior standard deviation of
  accuracy (table units, e.g. %) at the picks and at the true ROI-front rows
  among the candidates, median over the steps (how much of a pick's
  acquisition value is exploration);
* ``gap picks`` / ``gap front``: the same points' posterior-mean accuracy minus
  the search's own reference accuracy, median over the steps.

Prints one line per seed and the medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from botorch.acquisition import AcquisitionFunction
from scipy.stats import spearmanr

from bench.methods import search_config
from bench.scoring import Scorer, add_problem_arguments, problem_from_arguments
from mobo.candidates import acquisition_values
from mobo.loop import Search
from spaces import Arch


@dataclass
class StepStats:
    """What one BO step offered and chose, against the table's truth."""

    candidates: int
    in_roi: int
    front_rank: int | None  # best acquisition rank of a true ROI-front row, None if none was a candidate
    front_mean_rank: int | None
    picks_roi: int
    picks_accurate: int
    picks_cheap: int
    picks: int
    rho_accuracy: float
    sd_picks: float
    sd_front: float | None
    gap_picks: float
    gap_front: float | None


class RankedSearch(Search):
    """The real search, with every BO step's candidates and picks scored against ``scorer``'s table."""

    def __init__(self, *args, scorer: Scorer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scorer = scorer
        self.steps: list[StepStats] = []

    def choose(self, acq: AcquisitionFunction | list[AcquisitionFunction], candidates: list[Arch],
               q: int) -> list[Arch]:
        picks = super().choose(acq, candidates, q)
        sc = self.scorer
        rows = sc.rows([self.space.format(a) for a in candidates])
        y = sc.y[rows]  # candidates x m, maximized
        roi = (y > sc.roi_ref).all(dim=-1)
        accurate = y[:, 0] > sc.roi_ref[0]
        cheap = (y[:, 1:] > sc.roi_ref[1:]).all(dim=-1)
        x = self.gp_inputs(candidates)
        first = acq[0] if isinstance(acq, list) else acq
        values = acquisition_values(first, x)
        with torch.no_grad():
            posterior = first.model.posterior(x)
            mean_accuracy = posterior.mean[:, 0]
            sd_accuracy = posterior.variance[:, 0].sqrt()
        gap = mean_accuracy - float(self.reference_tensor()[0])
        is_front = torch.tensor([r in sc.front_in_roi for r in rows])
        cheap_idx = cheap.nonzero().flatten()
        mean_rank = torch.full((len(rows),), len(rows))
        mean_rank[cheap_idx[mean_accuracy[cheap_idx].argsort(descending=True)]] = torch.arange(len(cheap_idx))
        chosen = {self.space.format(p) for p in picks}
        picked = torch.tensor([self.space.format(a) in chosen for a in candidates])
        self.steps.append(StepStats(
            candidates=len(rows),
            in_roi=int(roi.sum()),
            front_rank=best_rank(values, is_front),
            front_mean_rank=int(mean_rank[is_front].min()) if bool(is_front.any()) else None,
            picks_roi=int((roi & picked).sum()),
            picks_accurate=int((accurate & picked).sum()),
            picks_cheap=int((cheap & picked).sum()),
            picks=int(picked.sum()),
            rho_accuracy=float(spearmanr(mean_accuracy.numpy(), y[:, 0].numpy()).statistic),
            sd_picks=float(sd_accuracy[picked].median()),
            sd_front=float(sd_accuracy[is_front].median()) if bool(is_front.any()) else None,
            gap_picks=float(gap[picked].median()),
            gap_front=float(gap[is_front].median()) if bool(is_front.any()) else None,
        ))
        return picks


def best_rank(values: torch.Tensor, mask: torch.Tensor) -> int | None:
    """Rank (0 = best) of the best-valued entry of ``values`` among those where ``mask`` holds."""
    if not bool(mask.any()):
        return None
    return int((values > values[mask].max()).sum())


def summarize(steps: list[StepStats]) -> dict[str, float]:
    """The per-run figures of the module docstring."""
    with_front = [s for s in steps if s.front_rank is not None]
    third = max(1, len(steps) // 3)
    picks = sum(s.picks for s in steps)
    return {
        "front@cand": len(with_front) / len(steps),
        "rank": statistics.median(s.front_rank for s in with_front) if with_front else float("nan"),
        "mean rank": statistics.median(s.front_mean_rank for s in with_front) if with_front else float("nan"),
        "roi/cand": sum(s.in_roi for s in steps) / sum(s.candidates for s in steps),
        "picks roi": sum(s.picks_roi for s in steps) / picks,
        "picks acc": sum(s.picks_accurate for s in steps) / picks,
        "picks cost": sum(s.picks_cheap for s in steps) / picks,
        "rho acc first": statistics.median(s.rho_accuracy for s in steps[:third]),
        "rho acc last": statistics.median(s.rho_accuracy for s in steps[-third:]),
        "sd picks": statistics.median(s.sd_picks for s in steps),
        "sd front": statistics.median(s.sd_front for s in with_front) if with_front else float("nan"),
        "gap picks": statistics.median(s.gap_picks for s in steps),
        "gap front": statistics.median(s.gap_front for s in with_front) if with_front else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.candidate_ranks", description=__doc__.split("\n")[0])
    add_problem_arguments(parser)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", type=Path, default=None, help="keep the run directories here (default: discard)")
    args = parser.parse_args(argv)
    table, problem = problem_from_arguments(args, parser)
    scorer = Scorer(table, problem)
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        for seed in args.seeds:
            config = search_config(table, problem, args.budget, seed, args.overrides)
            search = RankedSearch(config, root / f"seed-{seed}", progress=False, scorer=scorer)
            search.run()
            figures = summarize(search.steps)
            figures["roi ratio"] = scorer.roi_ratio([r.arch for r in search.history.records])
            runs.append(figures)
            print(f"seed {seed}: " + ", ".join(f"{k} {v:.3g}" for k, v in figures.items()), flush=True)
    print(f"{problem.name}, budget {args.budget}, seeds {args.seeds}" +
          (f", {' '.join(args.overrides)}" if args.overrides else ""))
    print("median: " + ", ".join(f"{k} {statistics.median(r[k] for r in runs):.3g}" for k in runs[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
