"""What the benchmark table allows: can a search that skips canonical twins reach the true front?

Usage::

    python -m bench.table_ceiling --table ../shared/benchmarks/nb201.csv [--draws 10]
        [--model-errors 0.25 0.5 1 2] [--error-draws 10] [--problems 1 2 3 4 5 6] [--function-oracle]
        [--hindsight] [--gp-seeds 0 1 2 3 4]

For every problem of the NB201 device benchmark, prints the number of rows in the
region of interest (ROI), the Pareto-optimal rows in it with the size of their
canonical-key class (cells that compute the same function), and the best ROI
hypervolume ratio a search could reach if it evaluated only one string per
canonical key (a random one per class, median of ``--draws`` draws), and the
largest share of the ROI hypervolume that a single row alone adds; and how many
evaluations a *class-mean oracle* needs to reach a ROI ratio of 0.95: it knows
every string's exact costs and the mean accuracy of its class, but not the
string's own training noise, and evaluates the strings in the order of their
non-dominated layers on (class-mean accuracy, costs), among those whose class
mean lies at most two within-class standard deviations below the ROI's accuracy
bound and whose costs lie inside the ROI. It bounds what a perfect surrogate of
the function could do; so does the *EHVI oracle*, the search's kind of acquisition
(expected hypervolume improvement, one string at a time) driven by that perfect
model (:func:`expected_improvement_oracle`). Then the EHVI oracle again with an
error of each ``--model-errors`` standard deviation on every class mean (a model
as good as that, fixed or learning a class from one evaluation of it): how good
the accuracy model must be for a ROI ratio of 0.95 at 100 evaluations. With
``--function-oracle``, the EHVI oracle again knowing the function but not each
string's costs: only what its op choices explain, and the measurement noise around
that (:func:`expected_improvement_oracle` with ``costs``): what a search that models the function perfectly
could do on devices whose latency is measured with noise. With ``--hindsight``, the
row each front hangs on, its chance of landing in the ROI under that perfect model and
how many rows have a larger one (:func:`roi_chance`), and the best of twenty
perfect-model policies whose exploration is tuned after seeing their results
(:func:`hindsight_policies`): what a search that knew the function could reach on
that table at best. With
``--gp-seeds``, the same acquisition driven by the search's accuracy GP instead
(:func:`gp_oracle`), one run per seed and problem. Then, per
cost column, how much of it a linear model on op counts explains when the ops
of all six edges count and when only the ops on a path from input to output do.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
import torch

from botorch.utils.multi_objective.box_decompositions import FastNondominatedPartitioning

from bench.scoring import Problem, Scorer, evaluations_to
from mobo.objectives.table import BenchmarkTable
from mobo.pareto import pareto_mask
from mobo.surrogate import compress_below_reference, fit_gp, unit_box
from spaces import get_space
from spaces.nb201 import EDGES, OPS, NB201Arch

PROBLEMS = (
    ("acc_cifar10", "lat_raspi4_ms"),
    ("acc_cifar10", "lat_pixel3_ms"),
    ("acc_cifar100", "lat_pi5_litert_cifar100_ms"),
    ("acc_imagenet16", "lat_fpga_ms"),
    ("acc_imagenet16", "lat_eyeriss_ms"),
    ("acc_cifar100", "lat_pi5_litert_cifar100_ms", "energy_pi5_litert_cifar100_mj"),
)


def live_edges(arch: NB201Arch) -> list[bool]:
    """Which of the 6 edges lie on a path from the cell input to its output (through no ``none``)."""
    from_input = {0}
    for node in (1, 2, 3):
        if any(dst == node and arch[k] != "none" and src in from_input for k, (dst, src) in enumerate(EDGES)):
            from_input.add(node)
    to_output = {3}
    for node in (2, 1, 0):
        if any(src == node and arch[k] != "none" and dst in to_output for k, (dst, src) in enumerate(EDGES)):
            to_output.add(node)
    return [arch[k] != "none" and src in from_input and dst in to_output for k, (dst, src) in enumerate(EDGES)]


def op_counts(archs: list[NB201Arch], live_only: bool) -> np.ndarray:
    """``n x 5``: count of each op other than ``none`` (all edges, or live ones), and a constant."""
    rows = []
    for arch in archs:
        mask = live_edges(arch) if live_only else [True] * len(EDGES)
        rows.append([sum(m and op == o for m, op in zip(mask, arch)) for o in OPS[1:]] + [1.0])
    return np.array(rows, dtype=float)


def layer_order(y: torch.Tensor) -> list[int]:
    """Row indices of ``y`` (``n x m``, maximized) in order of their non-dominated layers
    (within a layer, by the first column, best first)."""
    remaining = torch.arange(len(y))
    order: list[int] = []
    while len(remaining):
        mask = pareto_mask(y[remaining])
        layer = remaining[mask]
        order.extend(layer[y[layer, 0].argsort(descending=True)].tolist())
        remaining = remaining[~mask]
    return order


def class_indices(keys: Sequence[str]) -> torch.Tensor:
    """``n``: an integer per distinct key (canonical keys: one per class of cells computing one function)."""
    index = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    return torch.tensor([index[key] for key in keys])


def class_statistics(values: torch.Tensor, class_of: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Class means of ``values`` and the training noise of one string.

    Args:
        values: ``n`` accuracies (%).
        class_of: ``n`` class indices (:func:`class_indices`).

    Returns:
        ``n``: each row's class mean; and the median within-class standard deviation over
        the classes of five or more rows (accuracy points; 0 without such a class).
    """
    ones = torch.ones_like(values)
    counts = torch.zeros(int(class_of.max()) + 1, dtype=values.dtype).index_add_(0, class_of, ones)
    means = torch.zeros_like(counts).index_add_(0, class_of, values) / counts
    squares = torch.zeros_like(counts).index_add_(0, class_of, (values - means[class_of]).square())
    large = counts >= 5
    spreads = (squares[large] / (counts[large] - 1)).sqrt()
    return means[class_of], statistics.median(spreads.tolist()) if len(spreads) else 0.0


def class_mean_oracle(scorer: Scorer, texts: list[str], class_of: torch.Tensor, target: float = 0.95,
                      budget: int = 100, cost_mean: torch.Tensor | None = None,
                      cost_margin: torch.Tensor | None = None, cut: float = 2.0) -> tuple[float, int | None]:
    """The class-mean oracle of the module docstring.

    Args:
        scorer: the problem.
        texts: the table's architecture strings, in row order.
        class_of: ``n`` class index of each table row (:func:`class_indices`).
        target: the ROI ratio whose evaluation count is returned.
        budget: evaluations.
        cost_mean: ``n x (m-1)`` costs the oracle believes (maximize form: negated), e.g.
            :func:`smooth_costs`' predictions; ``None``: the exact costs.
        cost_margin: ``n x (m-1)`` how far beyond the ROI's cost bounds a believed cost may
            lie for the row to be evaluated (maximize form: positive); ``None``: none.
        cut: how many training-noise deviations below the ROI's accuracy bound a class mean
            may lie for its strings to be evaluated.

    Returns:
        Its ROI ratio after ``budget`` evaluations, and the evaluations it needs to
        reach ``target`` (``None`` if it never does).
    """
    mean, spread = class_statistics(scorer.y[:, 0], class_of)
    margin = cut * spread
    ref = scorer.roi_ref
    costs = scorer.y[:, 1:] if cost_mean is None else cost_mean
    slack = torch.zeros_like(costs) if cost_margin is None else cost_margin
    eligible = torch.nonzero((mean >= ref[0] - margin) & (costs + slack > ref[1:]).all(dim=-1)).flatten()
    y = torch.cat([mean[eligible].unsqueeze(-1), costs[eligible]], dim=-1)
    trace = scorer.trace([texts[int(eligible[i])] for i in layer_order(y)])
    needed = evaluations_to(trace, target)
    return trace[min(budget, len(trace)) - 1], None if math.isnan(needed) else int(needed)


def hypervolume_gains(cells: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Hypervolume each point adds to a front, given the front's non-dominated cells.

    Args:
        cells: ``2 x c x m`` lower and upper bounds of the boxes that tile the region
            the front does not dominate (upper bounds may be infinite).
        points: ``... x m`` points (maximized).

    Returns:
        ``...`` hypervolume improvements.
    """
    extent = (torch.minimum(points.unsqueeze(-2), cells[1]) - cells[0]).clamp_min(0.0)
    return extent.prod(dim=-1).sum(dim=-1)


AccuracyModel = Callable[[list[int], torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""(rows evaluated so far, ``p`` candidate rows) -> ``p`` predicted accuracies and their deviations."""


def hermite_grid(nodes: Sequence[int], dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Gauss-Hermite product grid for independent standard normals.

    Args:
        nodes: nodes per dimension (``k`` dimensions; 1 puts that dimension at its mean).

    Returns:
        ``N x k`` points and ``N`` weights summing to 1 (``N`` the product of ``nodes``).
    """
    axes = [np.polynomial.hermite_e.hermegauss(k) for k in nodes]
    points = np.stack(np.meshgrid(*[z for z, _ in axes], indexing="ij"), axis=-1).reshape(-1, len(nodes))
    weights = np.stack(np.meshgrid(*[w / w.sum() for _, w in axes], indexing="ij"), axis=-1).reshape(-1, len(nodes))
    return torch.as_tensor(points, dtype=dtype), torch.as_tensor(weights.prod(axis=-1), dtype=dtype)


def ehvi_picks(scorer: Scorer, pool: torch.Tensor, model: AccuracyModel, budget: int = 100,
               start: Sequence[int] = (), nodes: int = 16,
               costs: tuple[torch.Tensor, torch.Tensor] | None = None, cost_nodes: int = 8,
               chunk: int = 256) -> list[float]:
    """Expected-hypervolume-improvement BO over a table with a model of accuracy (and of costs).

    Each step evaluates the candidate with the largest expected improvement of the ROI
    hypervolume over the true values evaluated so far (``q = 1``), its accuracy drawn
    from ``N(mean, sd^2)`` as ``model`` predicts it and its costs known exactly, or, with
    ``costs``, drawn from ``N(cost mean, cost sd^2)`` independently per cost.

    Args:
        scorer: the problem.
        pool: row indices of the candidates (``p``).
        model: the accuracy model (:data:`AccuracyModel`).
        budget: evaluations, ``start`` included.
        start: rows evaluated first (an initial design), in this order.
        nodes: Gauss-Hermite nodes of the expectation over the accuracy.
        costs: ``n x (m-1)`` predicted costs of every table row, maximize form (negated),
            and ``n x (m-1)`` standard deviations of a measurement around them; ``None``: exact costs.
        cost_nodes: Gauss-Hermite nodes per cost (with ``costs``).
        chunk: candidates scored at once (bounds the memory of the expectation).

    Returns:
        The ROI ratio after each evaluation (``budget`` values, fewer if the pool runs out).
    """
    ref = scorer.roi_ref
    m = scorer.y.shape[1]
    grid, weights = hermite_grid([nodes] + [cost_nodes if costs is not None else 1] * (m - 1), ref.dtype)
    chosen = list(start)
    pool = pool[~torch.isin(pool, torch.tensor(chosen, dtype=pool.dtype))]
    while len(chosen) < budget and len(pool):
        found = scorer.y[chosen]
        found = found[(found > ref).all(dim=-1)]
        if len(found):
            cells = FastNondominatedPartitioning(ref_point=ref, Y=found).get_hypercell_bounds()
        else:
            cells = torch.stack([ref, torch.full((m,), math.inf, dtype=ref.dtype)]).unsqueeze(1)
        mean, sd = scorer.y[pool].clone(), torch.zeros(len(pool), m, dtype=ref.dtype)
        mean[:, 0], sd[:, 0] = model(chosen, pool)
        if costs is not None:
            mean[:, 1:], sd[:, 1:] = costs[0][pool], costs[1][pool]
        gains = torch.cat([
            hypervolume_gains(cells, mu.unsqueeze(1) + s.unsqueeze(1) * grid) @ weights  # rows x N x m points
            for mu, s in zip(mean.split(chunk), sd.split(chunk))
        ])
        pick = int(gains.argmax())
        chosen.append(int(pool[pick]))
        pool = torch.cat([pool[:pick], pool[pick + 1:]])
    return scorer.trace([scorer.table.archs[i] for i in chosen])


def expected_improvement_oracle(scorer: Scorer, class_of: torch.Tensor, budget: int = 100,
                                nodes: int = 16, model_error: float = 0.0, seed: int = 0,
                                learns: bool = False,
                                costs: tuple[torch.Tensor, torch.Tensor] | None = None,
                                widen: float = 1.0) -> list[float]:
    """:func:`ehvi_picks` with a perfect surrogate of the function, or one with a known error.

    The model knows every string's class mean and predicts ``N(class mean, s^2)``, ``s``
    the median within-class standard deviation of the classes of five or more strings
    (:func:`class_statistics`): what the search's acquisition would do with a perfect model.
    With ``costs``, a string's costs are not known either (the *function oracle*): only what
    its op choices explain (:func:`smooth_costs`), each measured cost drawn around that with
    the measurement noise: what a search that models the function, and not each string's
    own noise, could do with this acquisition.

    Args:
        scorer: the problem.
        class_of: ``n`` class index of each table row (:func:`class_indices`).
        budget: evaluations.
        nodes: Gauss-Hermite nodes of the expectation over the accuracy.
        model_error: standard deviation (accuracy points) of an error added to each
            class mean, drawn once per class: an imperfect model of the function,
            whose predictive deviation grows to match.
        seed: seed of those errors.
        learns: whether evaluating one string of a class removes that class's error
            (a model that learns a class's mean exactly from one noisy evaluation:
            more than a real one can).
        costs: ``n x (m-1)`` predicted costs, maximize form (negated), and ``n x (m-1)``
            noise standard deviations of their measurement; ``None``: exact costs.
        widen: factor on the accuracy deviation the acquisition draws from (above 1: it
            explores more than the model warrants).

    Returns:
        The ROI ratio after each evaluation (``budget`` values).
    """
    true_mean, noise = class_statistics(scorer.y[:, 0], class_of)
    noise *= widen
    mean = true_mean.clone()
    if model_error > 0:
        generator = torch.Generator().manual_seed(seed)
        mean += model_error * torch.randn(int(class_of.max()) + 1, generator=generator, dtype=mean.dtype)[class_of]
    sd = torch.full_like(mean, math.hypot(noise, model_error))

    def model(chosen: list[int], pool: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not learns or not chosen:
            return mean[pool], sd[pool]
        known = torch.isin(class_of[pool], class_of[chosen])
        return torch.where(known, true_mean[pool], mean[pool]), torch.where(known, noise, sd[pool])

    ref = scorer.roi_ref
    cost_mean, cost_sd = costs if costs is not None else (scorer.y[:, 1:], torch.zeros_like(scorer.y[:, 1:]))
    pool = torch.nonzero((mean + 4.0 * sd > ref[0]) & (cost_mean + 4.0 * cost_sd > ref[1:]).all(dim=-1)).flatten()
    return ehvi_picks(scorer, pool, model, budget, nodes=nodes, costs=costs,
                      cost_nodes=8 if scorer.y.shape[1] == 2 else 5)


def interaction_features(choices: np.ndarray, states: int, order: int) -> np.ndarray:
    """One-hot indicators of every joint choice of up to ``order`` edges, and a constant.

    Args:
        choices: ``n x e`` integer choice per edge, in ``[0, states)``.
        states: choices per edge.
        order: largest number of edges taken jointly.

    Returns:
        ``n x f`` 0/1 features.
    """
    n, edges = choices.shape
    columns = [np.ones((n, 1))]
    for size in range(1, order + 1):
        for group in itertools.combinations(range(edges), size):
            code = np.zeros(n, dtype=np.int64)
            for e in group:
                code = code * states + choices[:, e]
            block = np.zeros((n, states**size))
            block[np.arange(n), code] = 1.0
            columns.append(block)
    return np.hstack(columns)


def smooth_costs(archs: list[NB201Arch], values: np.ndarray, folds: int = 5, ridge: float = 0.1,
                 bins: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A string's cost as far as its op choices explain it, predicted out of fold.

    A ridge regression on the ops of every joint choice of up to three edges and on the
    live edges' ops (``none`` for a dead edge) taken up to two at a time, fitted on the
    other folds of the whole table: more data and interactions than any search has, so
    its error is about the least a model of the choices reaches (a larger ridge penalty
    leaves it as it is); the rest is taken as the string's own measurement noise, whose spread is estimated per tenth of the predictions
    (it grows with the cost on some devices).

    Args:
        archs: the ``n`` table rows' cells.
        values: ``n`` costs (ms or mJ).
        folds: cross-validation folds.
        ridge: the ridge penalty.
        bins: quantile bins of the predictions, each with its own noise estimate.
        seed: seed of the fold assignment.

    Returns:
        ``n`` out-of-fold predictions, and ``n`` noise standard deviations: the
        root-mean-square error of the predictions in each row's bin.
    """
    choices = np.array([[OPS.index(op) for op in arch] for arch in archs])
    live = np.where(np.array([live_edges(arch) for arch in archs]), choices, OPS.index("none"))
    x = np.hstack([interaction_features(choices, len(OPS), 3), interaction_features(live, len(OPS), 2)[:, 1:]])
    fold = np.random.default_rng(seed).integers(0, folds, len(values))
    predicted = np.empty(len(values))
    for k in range(folds):
        train = fold != k
        a = x[train]
        w = np.linalg.solve(a.T @ a + ridge * np.eye(a.shape[1]), a.T @ values[train])
        predicted[~train] = x[~train] @ w
    edges = np.quantile(predicted, np.linspace(0.0, 1.0, bins + 1))
    bin_of = np.clip(np.searchsorted(edges, predicted, side="right") - 1, 0, bins - 1)
    squared = (values - predicted) ** 2
    spread = np.sqrt([squared[bin_of == k].mean() if (bin_of == k).any() else 0.0 for k in range(bins)])
    return predicted, spread[bin_of]


def pivotal_row(scorer: Scorer) -> tuple[int, float]:
    """The Pareto row of the ROI whose absence costs the most hypervolume.

    Returns:
        Its table row index, and the ROI ratio of the ROI's Pareto rows without it (one
        minus the share only that row adds: what a search loses by missing it).
    """
    front = sorted(scorer.front_in_roi)
    texts = scorer.table.archs
    without = {i: scorer.roi_ratio([texts[j] for j in front if j != i]) for i in front}
    row = min(without, key=without.__getitem__)
    return row, without[row]


def print_table_head(columns: Sequence[str], title: str = "") -> None:
    """Prints a blank line, ``title`` when given, and a Markdown table's header."""
    print()
    if title:
        print(title)
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))


def believed_costs(scorer: Scorer, archs: list[NB201Arch], table: BenchmarkTable,
                   smooth: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[torch.Tensor, torch.Tensor]:
    """A problem's costs as far as the op choices explain them (:func:`smooth_costs`).

    Args:
        scorer: the problem.
        archs: the table's cells, in row order.
        table: the table.
        smooth: per cost column, :func:`smooth_costs`' result; filled for the columns missing.

    Returns:
        ``n x (m-1)`` believed costs, maximize form (negated), and ``n x (m-1)`` noise
        standard deviations (ms or mJ).
    """
    columns = scorer.problem.columns[1:]
    for column in columns:
        if column not in smooth:
            smooth[column] = smooth_costs(archs, table.column(column).astype(float))
    return (-torch.as_tensor(np.stack([smooth[c][0] for c in columns], axis=-1)),
            torch.as_tensor(np.stack([smooth[c][1] for c in columns], axis=-1)))


def roi_chance(scorer: Scorer, class_of: torch.Tensor, cost_mean: torch.Tensor, cost_sd: torch.Tensor) -> torch.Tensor:
    """Each row's chance of landing inside the ROI under a perfect model of the function.

    The accuracy is drawn around its class mean with the training noise of one string
    (:func:`class_statistics`), each cost around its believed value with its noise, all
    independently.

    Args:
        scorer: the problem.
        class_of: ``n`` class index of each row (:func:`class_indices`).
        cost_mean: ``n x (m-1)`` believed costs, maximize form (negated).
        cost_sd: ``n x (m-1)`` their noise standard deviations (0: known exactly).

    Returns:
        ``n`` probabilities.
    """
    mean, noise = class_statistics(scorer.y[:, 0], class_of)
    ref = scorer.roi_ref
    mu = torch.cat([mean.unsqueeze(-1), cost_mean], dim=-1)
    sd = torch.cat([torch.full_like(mean, noise).unsqueeze(-1), cost_sd], dim=-1)
    # a deviation of 0 is a value known exactly: a step instead of the normal's limit
    inside = torch.where(sd > 0, torch.special.ndtr((mu - ref) / sd.clamp_min(1e-12)), (mu > ref).to(mu.dtype))
    return inside.prod(dim=-1)


def hindsight_policies(scorer: Scorer, texts: list[str], class_of: torch.Tensor, cost_mean: torch.Tensor,
                       cost_sd: torch.Tensor, budget: int = 100) -> dict[str, float]:
    """Perfect-model policies with their exploration tuned in hindsight, each one's ROI ratio.

    The EHVI function oracle (:func:`expected_improvement_oracle` with ``costs``) with the
    accuracy deviation it draws from widened 1, 1.5, 2 or 3 times and the costs' 1 or 2 times,
    and the class-mean oracle's layer order (:func:`class_mean_oracle`) on the believed costs
    with an accuracy cut of 0-3 training-noise deviations and a cost margin of 0-2 cost-noise
    deviations: 20 policies that know the function. The best of them on a problem, picked
    after seeing its result, bounds from above what choosing among them could reach there.

    Args:
        scorer: the problem.
        texts: the table's architecture strings, in row order.
        class_of: ``n`` class index of each row (:func:`class_indices`).
        cost_mean: ``n x (m-1)`` believed costs, maximize form (negated).
        cost_sd: ``n x (m-1)`` their noise standard deviations.
        budget: evaluations.

    Returns:
        ROI ratio after ``budget`` evaluations by policy name.
    """
    ratios = {}
    for widen in (1.0, 1.5, 2.0, 3.0):
        for cost_widen in (1.0, 2.0):
            trace = expected_improvement_oracle(scorer, class_of, budget, costs=(cost_mean, cost_widen * cost_sd),
                                                widen=widen)
            ratios[f"EHVI, accuracy sd x{widen:g}, cost sd x{cost_widen:g}"] = trace[-1]
    for cut in (0, 1, 2, 3):
        for margin in (0, 1, 2):
            ratios[f"layer order, cut {cut} sd, cost margin {margin} sd"] = class_mean_oracle(
                scorer, texts, class_of, budget=budget, cost_mean=cost_mean, cost_margin=margin * cost_sd,
                cut=float(cut))[0]
    return ratios


def gp_oracle(scorer: Scorer, inputs: torch.Tensor, budget: int = 100, initial: int = 10, seed: int = 0) -> list[float]:
    """:func:`ehvi_picks` with the search's accuracy GP instead of a perfect model.

    The GP (:func:`mobo.surrogate.fit_gp`) is refitted on every evaluation so far, its
    outcomes log-compressed below the ROI's accuracy bound as a focus step compresses
    them; it predicts with its observation noise. Everything else is the oracle's:
    exact costs, the ROI's own reference point, every cell inside the ROI's costs a
    candidate, one evaluation a step. What separates its ROI ratio from the search's is
    the search's own machinery; what separates it from the perfect model's is the GP.

    Args:
        scorer: the problem.
        inputs: ``n x d`` GP inputs of the table's rows (in ``[0, 1]``).
        budget: evaluations.
        initial: uniformly drawn rows evaluated first.
        seed: seed of that draw.

    Returns:
        The ROI ratio after each evaluation (``budget`` values).
    """
    ref = scorer.roi_ref
    bounds = unit_box(inputs.shape[-1])

    def model(chosen: list[int], pool: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = compress_below_reference(scorer.y[chosen, :1], ref[:1])
        gp = fit_gp(inputs[chosen], y, bounds)
        with torch.no_grad():
            posterior = gp.posterior(inputs[pool], observation_noise=True)
        return posterior.mean[:, 0], posterior.variance[:, 0].sqrt()

    start = random.Random(seed).sample(range(len(scorer.y)), initial)
    pool = torch.nonzero((scorer.y[:, 1:] > ref[1:]).all(dim=-1)).flatten()
    return ehvi_picks(scorer, pool, model, budget, start=start)


def r_squared(x: np.ndarray, y: np.ndarray) -> float:
    w, *_ = np.linalg.lstsq(x, y, rcond=None)
    return float(1.0 - (y - x @ w).var() / y.var())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.table_ceiling", description=__doc__.split("\n")[0])
    parser.add_argument("--table", required=True)
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--model-errors", type=float, nargs="*", default=[0.25, 0.5, 1.0, 2.0])
    parser.add_argument("--error-draws", type=int, default=10)
    parser.add_argument("--problems", type=int, nargs="*", default=list(range(1, len(PROBLEMS) + 1)),
                        help="which of the six problems (1-6)")
    parser.add_argument("--function-oracle", action="store_true",
                        help="also run the EHVI oracle that knows the function but not each string's cost noise "
                             "(about 20 s a problem, 50 s for the 3-objective one)")
    parser.add_argument("--hindsight", action="store_true",
                        help="also print the row each front hangs on, with its chance under a perfect model, and the "
                             "best of twenty perfect-model policies tuned in hindsight (about 20 minutes)")
    parser.add_argument("--gp-seeds", type=int, nargs="*", default=[],
                        help="seeds of gp_oracle runs per problem (about 80 s each; none by default)")
    args = parser.parse_args(argv)
    table = BenchmarkTable(args.table)
    space = get_space("nb201")
    texts = list(table.archs)
    archs = [space.parse(t) for t in texts]
    key_of = {t: space.canonical_key(a) for t, a in zip(texts, archs)}
    classes: dict[str, list[str]] = defaultdict(list)
    for text, key in key_of.items():
        classes[key].append(text)
    class_of = class_indices([key_of[t] for t in texts])
    print(f"{len(texts)} rows, {len(classes)} canonical keys")
    print_table_head(["problem", "ROI rows", "Pareto rows in ROI", "their class sizes", "largest share of one row",
                      "ROI ratio, one string per key", "class-mean oracle: evaluations to 0.95", "its ratio at 100",
                      "EHVI oracle: evaluations to 0.95", "its ratio at 100"])
    for k in args.problems:
        if not 1 <= k <= len(PROBLEMS):
            parser.error(f"--problems: {k} is not one of 1-{len(PROBLEMS)}")
    scorers = [Scorer(table, Problem("/".join(PROBLEMS[k - 1]), PROBLEMS[k - 1])) for k in args.problems]
    for scorer in scorers:
        roi_rows = int((scorer.y > scorer.roi_ref).all(dim=-1).sum())
        front = sorted(scorer.front_in_roi)
        sizes = [len(classes[key_of[texts[i]]]) for i in front]
        share = 1.0 - pivotal_row(scorer)[1]
        ceilings = []
        for draw in range(args.draws):
            rng = random.Random(draw)
            ceilings.append(scorer.roi_ratio([rng.choice(members) for members in classes.values()]))
        oracle_ratio, needed = class_mean_oracle(scorer, texts, class_of)
        trace = expected_improvement_oracle(scorer, class_of)
        ehvi_needed = evaluations_to(trace, 0.95)
        print(f"| {scorer.problem.name} | {roi_rows} | {len(front)} | {', '.join(map(str, sizes))} | {share:.3f} | "
              f"{statistics.median(ceilings):.3f} | {needed if needed is not None else 'never'} | "
              f"{oracle_ratio:.3f} | {'never' if math.isnan(ehvi_needed) else int(ehvi_needed)} | {trace[-1]:.3f} |")
    if args.model_errors:
        print_table_head(["error", "model", *map(str, args.problems)],
                         "EHVI oracle with an error of the given standard deviation (accuracy points) on every class "
                         f"mean: ROI ratio at 100, median [interquartile range] of {args.error_draws} draws of the errors")
        for error in args.model_errors:
            for learns in (False, True):
                cells = []
                for scorer in scorers:
                    ratios = [expected_improvement_oracle(scorer, class_of, model_error=error, seed=k,
                                                          learns=learns)[-1] for k in range(args.error_draws)]
                    q1, q2, q3 = np.percentile(ratios, [25, 50, 75])
                    cells.append(f"{q2:.3f} [{q1:.2f}, {q3:.2f}]")
                kind = "learns a class from one evaluation" if learns else "fixed"
                print(f"| {error:g} | {kind} | " + " | ".join(cells) + " |", flush=True)
    smooth: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # per cost column, smooth_costs' result
    if args.function_oracle:
        print_table_head(["problem", "cost noise in the ROI (median sd)", "ROI ratio at 50", "at 100",
                          "evaluations to 0.95",
                          "class-mean oracle's order on believed costs, at 100: cost margin 0, 1, 2 noise sd"],
                         "EHVI oracle that knows the function, costs included (the function oracle): class-mean "
                         "accuracy, each cost as far as the op choices explain it, measurement noise around both")
        for scorer in scorers:
            cost_mean, cost_sd = believed_costs(scorer, archs, table, smooth)
            in_roi = (scorer.y > scorer.roi_ref).all(dim=-1)
            noise = ", ".join(f"{float(cost_sd[in_roi, k].median()):.3f}" for k in range(cost_sd.shape[-1]))
            trace = expected_improvement_oracle(scorer, class_of, costs=(cost_mean, cost_sd))
            needed = evaluations_to(trace, 0.95)
            layers = [class_mean_oracle(scorer, texts, class_of, cost_mean=cost_mean, cost_margin=k * cost_sd)[0]
                      for k in (0, 1, 2)]
            print(f"| {scorer.problem.name} | {noise} | {trace[min(50, len(trace)) - 1]:.3f} | {trace[-1]:.3f} | "
                  f"{'never' if math.isnan(needed) else int(needed)} | {', '.join(f'{r:.3f}' for r in layers)} |",
                  flush=True)
    if args.hindsight:
        print_table_head(["problem", "row", "its ROI ratio alone", "every other row's",
                          "its chance of landing in the ROI", "rows with a larger chance"],
                         "The row the front hangs on (pivotal_row), and its chance under a perfect model of the "
                         "function (class-mean accuracy, believed costs, noise around both)")
        for scorer in scorers:
            cost_mean, cost_sd = believed_costs(scorer, archs, table, smooth)
            row = pivotal_row(scorer)[0]
            others = scorer.roi_ratio(texts[:row] + texts[row + 1:])
            chance = roi_chance(scorer, class_of, cost_mean, cost_sd)
            print(f"| {scorer.problem.name} | `{texts[row]}` | {scorer.roi_ratio([texts[row]]):.3f} | {others:.3f} | "
                  f"{float(chance[row]):.4f} | {int((chance > chance[row]).sum())} |", flush=True)
        print_table_head(["problem", "best policy", "its ratio", "policies reaching 0.95", "median over the 20"],
                         "Twenty perfect-model policies, their exploration tuned in hindsight (hindsight_policies): "
                         "ROI ratio at 100")
        for scorer in scorers:
            cost_mean, cost_sd = believed_costs(scorer, archs, table, smooth)
            ratios = hindsight_policies(scorer, texts, class_of, cost_mean, cost_sd)
            best = max(ratios, key=ratios.__getitem__)
            print(f"| {scorer.problem.name} | {best} | {ratios[best]:.3f} | {sum(r >= 0.95 for r in ratios.values())} | "
                  f"{statistics.median(ratios.values()):.3f} |", flush=True)
    if args.gp_seeds:
        inputs = torch.tensor([space.live_one_hot(a) + space.path_encoding(a) for a in archs], dtype=torch.float64)
        print_table_head(["problem", *(f"seed {k}" for k in args.gp_seeds), "median"],
                         "EHVI with the search's accuracy GP (gp_oracle): ROI ratio at 100 per seed, and the median")
        for scorer in scorers:
            ratios = [gp_oracle(scorer, inputs, seed=k)[-1] for k in args.gp_seeds]
            print(f"| {scorer.problem.name} | " + " | ".join(f"{r:.3f}" for r in ratios)
                  + f" | {statistics.median(ratios):.3f} |", flush=True)
    all_ops, live_ops = op_counts(archs, False), op_counts(archs, True)
    print_table_head(["cost column", "R² on op counts, all edges", "R² on op counts, live edges"])
    for column in sorted({c for p in PROBLEMS for c in p[1:]}):
        y = table.column(column)
        print(f"| {column} | {r_squared(all_ops, y):.3f} | {r_squared(live_ops, y):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
