"""The choices of every space: one-choice neighbours (BO candidates) and the one-hot encoding (GP inputs)."""

import random

import pytest

from spaces import get_space
from spaces.enas import OPS as ENAS_OPS
from spaces.nb201 import OPS as NB201_OPS


def _flat(arch) -> list:
    if isinstance(arch, tuple):
        return [leaf for part in arch for leaf in _flat(part)]
    return [arch]


def _expected_count(space) -> int:
    if space.name == "nb201":
        return 6 * 4
    if space.name == "yolo":
        return sum(len(c) - 1 for c in space.choices)
    # ENAS: per block, two inputs among 2 + b and two ops, in each of the two cells
    return 2 * sum(2 * (2 + b - 1) + 2 * (len(ENAS_OPS) - 1) for b in range(space.blocks))


SPACES = [("nb201", {}), ("enas", {}), ("yolo", {"base": "yolov7-tiny"})]


@pytest.mark.parametrize("name,options", SPACES)
def test_neighbours_differ_in_exactly_one_choice(name, options):
    space = get_space(name, **options)
    arch = space.sample(random.Random(3))
    neighbours = space.neighbours(arch)
    texts = [space.format(n) for n in neighbours]
    assert len(neighbours) == len(set(texts)) == _expected_count(space)
    assert space.format(arch) not in texts
    for n, text in zip(neighbours, texts):
        assert space.parse(text) == n  # a valid architecture of the space
        assert sum(a != b for a, b in zip(_flat(arch), _flat(n))) == 1


@pytest.mark.parametrize("name,options", SPACES)
def test_one_hot_has_one_entry_per_choice_and_tells_neighbours_apart(name, options):
    space = get_space(name, **options)
    arch = space.sample(random.Random(5))
    code = space.one_hot(arch)
    assert set(code) == {0.0, 1.0} and sum(code) == len(_flat(arch))
    assert len(space.one_hot(space.sample(random.Random(6)))) == len(code)  # fixed length per space
    for n in space.neighbours(arch)[:20]:
        # one choice moved: one entry off, another on
        assert sum(a != b for a, b in zip(code, space.one_hot(n))) == 2


def test_nb201_one_hot_is_edge_major():
    space = get_space("nb201")
    code = space.one_hot(space.parse("|none~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|"))
    hot = [i for i, v in enumerate(code) if v]
    ops = ["none", "skip_connect", "none", "none", "none", "avg_pool_3x3"]
    assert hot == [k * len(NB201_OPS) + NB201_OPS.index(op) for k, op in enumerate(ops)]
