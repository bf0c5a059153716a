import math

import pytest
import torch

from mobo.pareto import hypervolume, information_density, netscore, pareto_mask


def test_pareto_mask_2d():
    y = torch.tensor([[1.0, 5.0], [2.0, 4.0], [1.5, 3.0], [3.0, 1.0], [0.5, 0.5]])
    assert pareto_mask(y).tolist() == [True, True, False, True, False]


def test_hypervolume_2d_known_value():
    # staircase of (1,3), (2,2), (3,1) above (0,0): 3 + 2 + 1 = 6
    y = torch.tensor([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [0.5, 0.5]])
    assert hypervolume(y, torch.zeros(2)) == pytest.approx(6.0)
    # points that do not dominate the reference add nothing
    assert hypervolume(torch.tensor([[-1.0, 5.0]]), torch.zeros(2)) == 0.0


def test_hypervolume_3d_known_value():
    # two boxes [0,2]x[0,1]x[0,1] (vol 2) and [0,1]x[0,2]x[0,2] (vol 4), overlap 1 -> 5
    y = torch.tensor([[2.0, 1.0, 1.0], [1.0, 2.0, 2.0]])
    assert hypervolume(y, torch.zeros(3)) == pytest.approx(5.0)


def test_netscore_and_information_density():
    # a = 90 %, p = 1 M, m = 100 M MACs: 20 log10(8100 / 10) = 20 log10(810)
    assert netscore(90.0, 1.0, 100.0) == pytest.approx(20 * math.log10(810.0))
    assert information_density(90.0, 0.5) == pytest.approx(180.0)
    assert math.isnan(netscore(90.0, 0.0, 10.0))


def test_reference_point_quantile_in_each_objectives_direction():
    from mobo.config import ObjectiveConfig
    from mobo.history import Evaluation
    from mobo.results import reference_point

    records = [
        Evaluation(index=i, iteration=0, arch=str(i), key=str(i), values={"acc": a, "lat": t}, feasible=True,
                   failed=False, error="", seconds=0.0, extra={})
        for i, (a, t) in enumerate(zip([1.0, 2.0, 3.0, 4.0, 5.0], [50.0, 40.0, 30.0, 20.0, 10.0]))
    ]
    acc = ObjectiveConfig("acc", "table", "maximize")
    lat = ObjectiveConfig("lat", "table", "minimize")
    assert reference_point(records, [acc, lat]) == {"acc": 3.0, "lat": 30.0}  # medians by default
    # 0.75: better than three quarters of the initial design, in each objective's own direction
    top = [ObjectiveConfig("acc", "table", "maximize", reference_quantile=0.75),
           ObjectiveConfig("lat", "table", "minimize", reference_quantile=0.75)]
    assert reference_point(records, top) == {"acc": 4.0, "lat": 20.0}
    # a set reference or a constraint bound wins over the quantile
    bound = ObjectiveConfig("lat", "table", "minimize", at_most=45.0, reference_quantile=0.75)
    assert reference_point(records, [top[0], bound]) == {"acc": 4.0, "lat": 45.0}
    # a focus quantile raises the maximized objectives' quantile only, and never lowers it
    assert reference_point(records, [acc, lat], focus_quantile=0.75) == {"acc": 4.0, "lat": 30.0}
    assert reference_point(records, [top[0], lat], focus_quantile=0.25) == {"acc": 4.0, "lat": 30.0}
