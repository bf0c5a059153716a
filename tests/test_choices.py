"""The choices of every space: one-choice neighbours (BO candidates), the one-hot and path encodings (GP inputs)."""

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


def test_nb201_path_encoding_known_cell():
    space = get_space("nb201")
    # paths into node 3: skip from the input (), 3x3 then 3x3 via node 1, 3x3 into node 2 then skip,
    # and 3x3 then pool via nodes 1 and 2
    arch = space.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")
    code = space.path_encoding(arch)
    assert len(code) == 1 + 3 + 9 + 27
    # sequences ordered by length, then by op (1x1, 3x3, pool): () = 0, (3x3) = 2, (3x3, 3x3) = 8, (3x3, pool) = 9
    assert {i: v for i, v in enumerate(code) if v} == {0: 0.25, 2: 0.25, 8: 0.25, 9: 0.25}
    assert space.path_encoding(space.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")) == [0.0] * 40


@pytest.mark.parametrize("name,options", SPACES)
def test_path_encoding_is_shared_by_one_canonical_key(name, options):
    space = get_space(name, **options)
    rng = random.Random(11)
    archs = [space.sample(rng) for _ in range(300)]
    by_key: dict[str, list] = {}
    for arch in archs:
        by_key.setdefault(space.canonical_key(arch), []).append(space.path_encoding(arch))
    assert len({len(code) for codes in by_key.values() for code in codes}) == 1  # fixed length
    for codes in by_key.values():
        assert all(code == codes[0] for code in codes)
    if name == "yolo":
        assert by_key and all(codes[0] == [] for codes in by_key.values())  # the depths are the function
    else:
        # functions that differ are mostly told apart
        distinct = {tuple(codes[0]) for codes in by_key.values()}
        assert len(distinct) > 0.5 * len(by_key)


def test_nb201_path_encoding_ignores_dead_and_isomorphic_rewrites():
    space = get_space("nb201")
    base = space.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")
    dead = space.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
                       .replace("nor_conv_3x3~0|+", "avg_pool_3x3~0|+"))  # node 1 feeds nothing: dead edge
    assert space.canonical_key(base) == space.canonical_key(dead)
    assert space.path_encoding(base) == space.path_encoding(dead)


def test_enas_path_encoding_swaps_block_inputs():
    space = get_space("enas")
    arch = space.sample(random.Random(4))
    (a, a_op, b, b_op), *rest = arch[0]
    swapped = (((b, b_op, a, a_op), *rest), arch[1])
    assert space.path_encoding(swapped) == space.path_encoding(arch)
    code = space.path_encoding(arch)
    assert len(code) == 2 * 2 * 21
    # per cell, the shares of its paths sum to 1
    assert sum(code[:42]) == pytest.approx(1.0) and sum(code[42:]) == pytest.approx(1.0)
