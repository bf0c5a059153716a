import math
import random

import numpy as np
import pytest
import torch
from botorch.utils.multi_objective.box_decompositions import FastNondominatedPartitioning

from bench.compare import bootstrap_interval, by_problem_and_seed, pair, read_rows
from bench.compare import main as compare_main
from bench.methods import METHODS
from bench.scoring import Problem, Scorer, evaluations_to
from bench.table_ceiling import (
    class_indices,
    class_mean_oracle,
    class_statistics,
    expected_improvement_oracle,
    gp_oracle,
    hermite_grid,
    hindsight_policies,
    hypervolume_gains,
    layer_order,
    pivotal_row,
    roi_chance,
    smooth_costs,
)
from mobo.objectives.table import BenchmarkTable
from mobo.pareto import hypervolume
from spaces import get_space


def write_table(path, rows):
    path.write_text("arch,acc,lat,energy\n" + "".join(f"{a},{x},{y},{z}\n" for a, x, y, z in rows))
    return BenchmarkTable(path)


def hand_made_2d_table(tmp_path):
    """Eight rows; accuracy 75th percentile 6.75 and latency median 5.5: only a (10, 4) and b (9, 2)
    lie in the region of interest."""
    return write_table(tmp_path / "t.csv", [
        ("a", 10, 4, 0), ("b", 9, 2, 0), ("c", 1, 9, 0), ("d", 2, 8, 0), ("e", 3, 7, 0),
        ("f", 4, 6, 0), ("g", 5, 5, 0), ("h", 6, 3, 0),
    ])


def test_roi_ratio_on_a_hand_made_2d_front(tmp_path):
    # accuracy 75th percentile 6.75, latency median 5.5: only a (10, 4) and b (9, 2) are in the region
    table = hand_made_2d_table(tmp_path)
    scorer = Scorer(table, Problem("acc/lat", ("acc", "lat")))
    assert scorer.roi_ref.tolist() == [6.75, -5.5]
    box_a, box_b, overlap = 3.25 * 1.5, 2.25 * 3.5, 2.25 * 1.5
    total = box_a + box_b - overlap
    assert scorer.roi_total == pytest.approx(total)
    assert scorer.roi_ratio(["b"]) == pytest.approx(box_b / total)
    assert scorer.roi_ratio(["a", "b", "d"]) == pytest.approx(1.0)
    assert scorer.roi_ratio(["d", "h"]) == 0.0
    assert scorer.trace(["d", "b", "h", "a"]) == pytest.approx([0.0, box_b / total, box_b / total, 1.0])
    assert scorer.recall(["b"]) == pytest.approx(0.5)  # the true front in the region is {a, b}
    assert evaluations_to([0.1, 0.95, 1.0], 0.9) == 2.0 and math.isnan(evaluations_to([0.1], 0.9))
    assert 0.0 < scorer.full_ratio(["a"]) < scorer.full_ratio(["a", "b"]) == pytest.approx(1.0)


def test_class_statistics():
    class_of = class_indices(["x", "y", "x", "y", "y", "y", "y", "z"])
    assert class_of.tolist() == [0, 1, 0, 1, 1, 1, 1, 2]
    values = torch.tensor([1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 5.0], dtype=torch.float64)
    means, noise = class_statistics(values, class_of)
    assert means.tolist() == [2.0, 6.0, 2.0, 6.0, 6.0, 6.0, 6.0, 5.0]
    assert noise == pytest.approx(math.sqrt(10.0))  # only y has five rows: sample variance 40 / 4
    assert class_statistics(values[:4], class_of[:4])[1] == 0.0


def test_hypervolume_gains_match_the_hypervolume_difference():
    ref = torch.zeros(2, dtype=torch.float64)
    front = torch.tensor([[2.0, 2.0]], dtype=torch.float64)
    cells = FastNondominatedPartitioning(ref_point=ref, Y=front).get_hypercell_bounds()
    points = torch.tensor([[3.0, 1.0], [1.0, 1.0], [3.0, 3.0]], dtype=torch.float64)
    assert hypervolume_gains(cells, points).tolist() == pytest.approx([1.0, 0.0, 5.0])
    generator = torch.Generator().manual_seed(0)
    front3 = torch.rand(6, 3, generator=generator, dtype=torch.float64)
    ref3 = torch.zeros(3, dtype=torch.float64)
    cells3 = FastNondominatedPartitioning(ref_point=ref3, Y=front3).get_hypercell_bounds()
    points3 = torch.rand(4, 5, 3, generator=generator, dtype=torch.float64)  # any batch shape
    base = hypervolume(front3, ref3)
    expected = torch.tensor([[hypervolume(torch.cat([front3, p[None]]), ref3) - base for p in row] for row in points3])
    assert (expected > 0).sum() >= 5  # some points add volume, some do not
    assert torch.allclose(hypervolume_gains(cells3, points3), expected.to(torch.float64), atol=1e-12)


def test_expected_improvement_oracle_takes_the_largest_gain_first(tmp_path):
    # as in the 2-D test above: b alone adds the most, then a completes the front; singleton
    # classes leave no training noise, so the oracle knows every value
    table = hand_made_2d_table(tmp_path)
    scorer = Scorer(table, Problem("acc/lat", ("acc", "lat")))
    class_of = torch.arange(len(table.archs))
    total = 3.25 * 1.5 + 2.25 * 3.5 - 2.25 * 1.5
    assert expected_improvement_oracle(scorer, class_of, budget=2) == pytest.approx([2.25 * 3.5 / total, 1.0])
    # an error on the class means reorders the picks, but two evaluations of the two
    # rows in the region still find the whole front whatever the draw
    noisy = expected_improvement_oracle(scorer, class_of, budget=2, model_error=5.0, seed=3, learns=True)
    assert noisy[-1] == pytest.approx(1.0)


def test_class_mean_oracle_orders_by_the_costs_it_believes(tmp_path):
    table = hand_made_2d_table(tmp_path)
    scorer = Scorer(table, Problem("acc/lat", ("acc", "lat")))
    texts, class_of = list(table.archs), torch.arange(8)
    # singleton classes: no training noise, no margin; a and b are the region's rows, a the more accurate
    assert class_mean_oracle(scorer, texts, class_of) == (pytest.approx(1.0), 2)
    believed = scorer.y[:, 1:].clone()
    believed[1, 0] = -6.0  # b believed at 6 ms, beyond the region's 5.5
    ratio, needed = class_mean_oracle(scorer, texts, class_of, cost_mean=believed)
    assert ratio == pytest.approx(3.25 * 1.5 / (3.25 * 1.5 + 2.25 * 3.5 - 2.25 * 1.5)) and needed is None
    margin = torch.ones(8, 1, dtype=torch.float64)
    assert class_mean_oracle(scorer, texts, class_of, cost_mean=believed, cost_margin=margin)[0] == pytest.approx(1.0)


def test_function_oracle_reaches_a_row_its_cost_model_puts_outside_the_region(tmp_path):
    table = hand_made_2d_table(tmp_path)
    scorer = Scorer(table, Problem("acc/lat", ("acc", "lat")))
    class_of = torch.arange(len(table.archs))
    total = 3.25 * 1.5 + 2.25 * 3.5 - 2.25 * 1.5
    exact, silent = scorer.y[:, 1:].clone(), torch.zeros(8, 1, dtype=torch.float64)
    # exact costs without noise: the oracle of known costs, b first
    assert expected_improvement_oracle(scorer, class_of, budget=2, costs=(exact, silent)) == pytest.approx([2.25 * 3.5 / total, 1.0])
    # b's latency predicted at 6 ms, above the region's 5.5: without noise it is never a candidate
    predicted = exact.clone()
    predicted[1, 0] = -6.0
    assert expected_improvement_oracle(scorer, class_of, budget=2, costs=(predicted, silent))[-1] == pytest.approx(3.25 * 1.5 / total)
    # with a 1 ms measurement noise it may land inside: a (certain) first, then b, measured at 2 ms
    noisy = silent.clone()
    noisy[1, 0] = 1.0
    assert expected_improvement_oracle(scorer, class_of, budget=2, costs=(predicted, noisy)) == pytest.approx([3.25 * 1.5 / total, 1.0])


def test_class_mean_oracle_cut_admits_a_class_mean_below_the_bound(tmp_path):
    table = hand_made_2d_table(tmp_path)
    scorer = Scorer(table, Problem("acc/lat", ("acc", "lat")))
    # b (9 %) shares a class with c, d, e, f (1-4 %): class mean 3.8, training noise sqrt(9.7) = 3.11
    class_of = torch.tensor([0, 2, 2, 2, 2, 2, 1, 3])
    texts, total = list(table.archs), 3.25 * 1.5 + 2.25 * 3.5 - 2.25 * 1.5
    assert class_mean_oracle(scorer, texts, class_of, cut=0.0)[0] == pytest.approx(3.25 * 1.5 / total)  # a only
    assert class_mean_oracle(scorer, texts, class_of, cut=1.0)[0] == pytest.approx(1.0)  # 6.75 - 3.11 < 3.8


def test_pivotal_row_is_the_one_whose_absence_costs_most(tmp_path):
    table = hand_made_2d_table(tmp_path)
    scorer = Scorer(table, Problem("acc/lat", ("acc", "lat")))
    # without b only a's box is left (4.875 of 9.375); without a, b's (7.875)
    assert pivotal_row(scorer) == (1, pytest.approx(3.25 * 1.5 / (3.25 * 1.5 + 2.25 * 3.5 - 2.25 * 1.5)))


def test_roi_chance_under_a_perfect_model(tmp_path):
    table = hand_made_2d_table(tmp_path)
    scorer = Scorer(table, Problem("acc/lat", ("acc", "lat")))
    exact, silent = scorer.y[:, 1:].clone(), torch.zeros(8, 1, dtype=torch.float64)
    # singleton classes, exact costs: a certainty for a and b, none for the others
    assert roi_chance(scorer, torch.arange(8), exact, silent).tolist() == [1, 1, 0, 0, 0, 0, 0, 0]
    believed, noisy = exact.clone(), silent.clone()
    believed[1, 0], noisy[1, 0] = -6.0, 1.0  # b believed at 6 ms with a 1 ms noise: below 5.5 with P(z < -0.5)
    assert roi_chance(scorer, torch.arange(8), believed, noisy)[1] == pytest.approx(0.308538, abs=1e-6)
    # in a class of five with a 3.11-point noise b's accuracy clears 6.75 with P(z > (6.75 - 3.8) / 3.11)
    chance = roi_chance(scorer, torch.tensor([0, 2, 2, 2, 2, 2, 1, 3]), exact, silent)
    assert chance[1] == pytest.approx(float(torch.special.ndtr(torch.tensor(-2.95 / math.sqrt(9.7)))))


def test_hindsight_policies_run_twenty_perfect_model_policies(tmp_path):
    table = hand_made_2d_table(tmp_path)
    scorer = Scorer(table, Problem("acc/lat", ("acc", "lat")))
    believed, noisy = scorer.y[:, 1:].clone(), torch.zeros(8, 1, dtype=torch.float64)
    believed[1, 0], noisy[1, 0] = -6.0, 1.0  # b believed just beyond the cost bound, with noise
    ratios = hindsight_policies(scorer, list(table.archs), torch.arange(8), believed, noisy, budget=2)
    assert len(ratios) == 20
    a_only = 3.25 * 1.5 / (3.25 * 1.5 + 2.25 * 3.5 - 2.25 * 1.5)
    # every EHVI policy weighs b's chance and takes it second; the layer order needs a cost margin
    assert all(r == pytest.approx(1.0) for name, r in ratios.items() if name.startswith("EHVI"))
    for name, r in ratios.items():
        if name.startswith("layer order"):
            assert r == pytest.approx(a_only if name.endswith("margin 0 sd") else 1.0)


def test_hermite_grid_integrates_independent_normals():
    points, weights = hermite_grid([16, 8, 1])
    assert points.shape == (128, 3) and weights.sum() == pytest.approx(1.0)
    moments = (weights.unsqueeze(-1) * points.square()).sum(dim=0)
    assert moments.tolist() == pytest.approx([1.0, 1.0, 0.0])  # one node: the mean itself


def test_smooth_costs_recover_a_cost_of_the_op_choices_and_its_noise():
    space = get_space("nb201")
    rng = random.Random(0)
    archs = list({space.format(a): a for a in (space.sample(rng) for _ in range(2000))}.values())
    weights = torch.rand(6, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    exact = torch.tensor([sum(float(weights[e, ops.index(op)]) for e, op in enumerate(a)) for a in archs],
                         dtype=torch.float64)
    predicted, noise = smooth_costs(archs, exact.numpy())
    assert (torch.as_tensor(predicted) - exact).square().mean().sqrt() < 0.05 * exact.std()
    assert noise.max() < 0.05 * float(exact.std())
    measured = exact + 0.5 * torch.randn(len(archs), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    _, noise = smooth_costs(archs, measured.numpy())
    # out of fold, the model's own overfit adds to the noise: at least the noise, at most about three times it
    assert 0.5 < float(np.median(noise)) < 1.6


def test_gp_oracle_evaluates_its_initial_design_then_the_pool(tmp_path):
    table = hand_made_2d_table(tmp_path)
    scorer = Scorer(table, Problem("acc/lat", ("acc", "lat")))
    inputs = torch.rand(8, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    # c, d, e and f cost more than the median (5.5): a, b, g and h are the candidates
    trace = gp_oracle(scorer, inputs, budget=8, initial=4, seed=1)
    start = set(random.Random(1).sample(range(8), 4))
    assert len(trace) == 4 + len({0, 1, 6, 7} - start)
    assert trace[-1] == pytest.approx(1.0) and trace == sorted(trace)


def test_roi_ratio_3d(tmp_path):
    # reference: accuracy 75th percentile 6.75, latency and energy medians 5.5
    table = write_table(tmp_path / "t.csv", [
        ("a", 10, 2, 3), ("b", 9, 1, 4), ("c", 1, 9, 9), ("d", 2, 8, 8), ("e", 3, 7, 7),
        ("f", 4, 6, 6), ("g", 5, 5, 5), ("h", 6, 4, 4),
    ])
    scorer = Scorer(table, Problem("acc/lat/energy", ("acc", "lat", "energy")))
    assert scorer.roi_ref.tolist() == [6.75, -5.5, -5.5]
    box_a, box_b, overlap = 3.25 * 3.5 * 2.5, 2.25 * 4.5 * 1.5, 2.25 * 3.5 * 1.5
    assert scorer.roi_total == pytest.approx(box_a + box_b - overlap)
    assert scorer.roi_ratio(["a"]) == pytest.approx(box_a / (box_a + box_b - overlap))
    assert scorer.roi_ratio(["b", "a"]) == pytest.approx(1.0)


def small_search_config(checkpoint):
    """``bench.methods.search_config`` with the tiny test VAE and fast acquisition settings."""
    from bench.methods import search_config
    from mobo import config as C

    def small(table, problem, budget, seed, overrides=()):
        data = C.to_dict(search_config(table, problem, budget, seed, overrides))
        data["gvae"]["checkpoint"] = str(checkpoint)
        data["search"].update(initial=6, mc_samples=16)
        return C.from_dict(data)

    return small


@pytest.mark.parametrize("method", sorted(METHODS))
def test_each_method_returns_valid_distinct_architectures(method, nb201_csv, nb201_checkpoint, tmp_path,
                                                          monkeypatch):
    import bench.methods as methods

    monkeypatch.setattr(methods, "search_config", small_search_config(nb201_checkpoint))
    table = BenchmarkTable(nb201_csv)
    archs = METHODS[method](table, Problem("p", ("acc_cifar10", "lat_raspi4_ms")), 10, 0, tmp_path)
    space = get_space("nb201")
    assert len(archs) == 10 and len(set(archs)) == 10
    for arch in archs:
        space.parse(arch)
        assert arch in table.row_of


def test_ablation_overrides_name_the_run_and_reach_the_config(nb201_csv):
    from bench.methods import resolve, search_config

    name, _ = resolve("latentnas", ["search.local_candidates=0", "search.outcome_floor=0.25"])
    assert name == "latentnas[search.local_candidates=0,search.outcome_floor=0.25]"
    assert resolve("motpe") == ("motpe", METHODS["motpe"])
    with pytest.raises(ValueError, match="latentnas only"):
        resolve("random", ["search.local_candidates=0"])
    with pytest.raises(ValueError, match="unknown method 'tpe'"):
        resolve("tpe")
    config = search_config(BenchmarkTable(nb201_csv), Problem("p", ("acc_cifar10", "lat_raspi4_ms")), 50, 1,
                           ["search.local_candidates=0", "search.outcome_floor=0.25"])
    assert config.search.local_candidates == 0 and config.search.outcome_floor == 0.25 and config.seed == 1


def test_layer_order_peels_non_dominated_layers():
    # maximized: rows 0 and 2 form the first layer, 1 the second (dominated by 2), 3 the third
    y = torch.tensor([[3.0, 1.0], [1.0, 2.0], [2.0, 3.0], [0.5, 0.5]])
    assert layer_order(y) == [0, 2, 1, 3]


def test_bench_mobo_runs_the_seeds_asked_and_names_a_missing_column(nb201_csv, tmp_path, capsys):
    from bench.mobo import main, read_results

    args = ["--table", str(nb201_csv), "--accuracy", "acc_cifar10", "--latency", "lat_raspi4_ms",
            "--methods", "random", "--budget", "20", "--out", str(tmp_path)]
    assert main(args + ["--seeds", "3", "--first-seed", "1"]) == 0
    assert sorted(r["seed"] for r in read_results(tmp_path / "results.csv")) == ["1", "2"]
    with pytest.raises(SystemExit):
        main(args[:4] + ["--latency", "lat_nowhere_ms"] + args[6:])
    assert "column 'lat_nowhere_ms' is not in table" in capsys.readouterr().err


def write_results(path, method, values):
    """A ``bench.mobo`` results.csv with one row per (problem, seed, roi_ratio)."""
    lines = ["method,seed,problem,roi_ratio"] + [f"{method},{s},{p},{v}" for p, s, v in values]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_compare_pairs_runs_by_problem_and_seed(tmp_path, capsys):
    base = [("p/l", s, 0.5 + 0.02 * s) for s in range(6)] + [("q/l", s, 0.3) for s in range(3)]
    new = [(p, s, v + 0.1) for p, s, v in base if p == "p/l"] + [("q/l", 0, 0.2), ("q/l", 9, 1.0)]
    a_csv = write_results(tmp_path / "a.csv", "new", new)
    b_csv = write_results(tmp_path / "b.csv", "base", base)
    pairs = pair(by_problem_and_seed(read_rows([a_csv]), "roi_ratio", None, "method"),
                 by_problem_and_seed(read_rows([b_csv]), "roi_ratio", None, "against-method"))
    # seed 9 of q/l has no baseline: only the pairs both sides ran count
    assert [(p.problem, len(p.a)) for p in pairs] == [("p/l", 6), ("q/l", 1), ("all", 7)]
    assert pairs[0].differences == pytest.approx([0.1] * 6)
    assert pairs[2].differences.mean() == pytest.approx((0.6 - 0.1) / 7)
    lo, hi = bootstrap_interval(pairs[2].differences, 2000)
    assert -0.1 <= lo < (0.6 - 0.1) / 7 < hi <= 0.1

    assert compare_main([str(a_csv), "--against", str(b_csv), "--bootstrap", "500"]) == 0
    out = capsys.readouterr().out
    assert "| p/l | 6 | 0.650 | 0.550 | 6 / 0 | +0.100 [+0.100, +0.100] |" in out
    assert "| all | 7 |" in out and "6 / 1" in out


def test_compare_names_what_is_ambiguous_or_missing(tmp_path, capsys):
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("method,seed,problem,roi_ratio\nx,0,p/l,0.5\ny,0,p/l,0.6\n")
    base = write_results(tmp_path / "b.csv", "base", [("p/l", 0, 0.4)])
    with pytest.raises(SystemExit):
        compare_main([str(mixed), "--against", str(base)])
    assert "--method: the rows hold 2 methods, name one with --method: x, y" in capsys.readouterr().err
    assert compare_main([str(mixed), "--method", "y", "--against", str(base)]) == 0
    assert "+0.200" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        compare_main([str(mixed), "--method", "y", "--against", str(base), "--metric", "full_ratio"])
    assert "--metric: no column 'full_ratio'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        compare_main([str(tmp_path / "nowhere"), "--against", str(base)])
    assert "nowhere: no results.csv" in capsys.readouterr().err


def test_parallel_summary_speed_up_is_against_the_same_seeds_serial_run():
    from bench.parallel import HEADER, summary

    def row(workers, seed, wall):
        values = {"eval_seconds": "10.0", "time_column": "", "workers": str(workers), "seed": str(seed),
                  "budget": "64", "wall_seconds": str(wall), "busy_share": "0.9", "roi_ratio": "0.7", "steps": "13",
                  "proposal_seconds": "20", "proposal_seconds_per_eval": "0.4"}
        assert set(values) == set(HEADER)
        return values

    rows = [row(1, 0, 600.0), row(1, 1, 700.0), row(4, 0, 200.0), row(4, 1, 175.0)]
    table = summary(rows)
    # seed 0: 3.0, seed 1: 4.0 -> median 3.5, efficiency 0.875
    assert "| 4 | 2 | 187.5 | 3.50 | 0.88 | 0.90 | 0.700 | 13 | 0.40 |" in table
    assert "| 1 | 2 | 650.0 | 1.00 | 1.00 |" in table
