import random

import pytest
import torch

from spaces import get_space
from spaces.enas import OPS, loose_ends


@pytest.fixture(scope="module")
def space():
    return get_space("enas")


def test_random_cells_round_trip_through_string_and_graph(space):
    rng = random.Random(0)
    for _ in range(3000):
        arch = space.sample(rng)
        assert space.parse(space.format(arch)) == arch
        graph = space.to_graph(arch)
        assert graph.num_nodes == space.max_nodes == 36
        assert space.is_valid_graph(graph)
        assert space.from_graph(graph) == arch
        # one input per op node, two per add node, the loose ends into each output
        assert len(graph.edges) == 2 * (4 * space.blocks) + sum(len(loose_ends(c)) for c in arch) + 1


def test_projection_of_a_graphs_own_logits_gives_it_back(space):
    rng = random.Random(1)
    for _ in range(50):
        arch = space.sample(rng)
        graph = space.to_graph(arch)
        nodes = torch.zeros(space.max_nodes, len(space.node_types) + 1)
        nodes[torch.arange(space.max_nodes), torch.tensor(graph.ops)] = 5.0
        edges = 10.0 * graph.adjacency() - 5.0
        assert space.project(nodes, edges) == arch
        noisy = space.project(torch.randn_like(nodes), torch.randn(space.max_nodes, space.max_nodes))
        assert space.is_valid_graph(space.to_graph(noisy))


def cell(*blocks):
    return tuple(blocks)


BASE_REDUCE = cell((0, "max_pool_3x3", 1, "sep_conv_3x3"), (0, "identity", 2, "avg_pool_3x3"),
                   (1, "sep_conv_5x5", 3, "identity"), (2, "max_pool_3x3", 4, "sep_conv_3x3"),
                   (0, "avg_pool_3x3", 1, "identity"))


def test_key_ignores_input_order_and_independent_block_order(space):
    a = cell((0, "sep_conv_3x3", 1, "identity"), (1, "max_pool_3x3", 0, "avg_pool_3x3"),
             (2, "sep_conv_5x5", 3, "identity"), (0, "identity", 1, "identity"), (4, "sep_conv_3x3", 5, "avg_pool_3x3"))
    # the two inputs of every block swapped
    swapped = tuple((b[2], b[3], b[0], b[1]) for b in a)
    # blocks 0 and 1 are independent: exchange them and renumber the readers
    reordered = cell((1, "max_pool_3x3", 0, "avg_pool_3x3"), (0, "sep_conv_3x3", 1, "identity"),
                     (3, "sep_conv_5x5", 2, "identity"), (0, "identity", 1, "identity"),
                     (4, "sep_conv_3x3", 5, "avg_pool_3x3"))
    keys = {space.canonical_key((c, BASE_REDUCE)) for c in (a, swapped, reordered)}
    assert len(keys) == 1
    different = ((a[0][:3] + ("sep_conv_5x5",),) + a[1:], BASE_REDUCE)
    assert space.canonical_key(different) != space.canonical_key((a, BASE_REDUCE))
    # identity on a reduction cell's input is a factorized reduction, not the identity
    assert "fr(x0)" in space.canonical_key((a, BASE_REDUCE))


def test_string_errors_name_the_token(space):
    text = space.format(space.sample(random.Random(0)))
    with pytest.raises(ValueError, match="conv_7x7"):
        space.parse(text.replace(text.split("|")[1].split("~")[0], "conv_7x7", 1))
    with pytest.raises(ValueError, match="must read an input 0..1"):
        space.parse("normal:|identity~5|identity~0|" + text[text.index("+"):])
    with pytest.raises(ValueError, match="normal:CELL;reduce:CELL"):
        space.parse("normal:|identity~0|identity~1|")


def test_from_graph_rejects_a_changed_edge(space):
    from spaces import ArchGraph

    graph = space.to_graph(space.sample(random.Random(2)))
    edges = list(graph.edges)
    edges.remove(next(e for e in edges if e[1] == 2))  # op node 2 loses its input
    assert not space.is_valid_graph(ArchGraph(graph.ops, tuple(edges)))


def test_networks_run_forward_at_32px():
    space = get_space("enas", channels=8, cells_per_stage=1)
    rng = random.Random(3)
    for _ in range(3):
        model = space.build(space.sample(rng)).eval()
        with torch.no_grad():
            assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    default = get_space("enas")
    net = default.build(default.sample(rng)).eval()
    widths, sizes = [], []
    x = s0 = s1 = net.stem(torch.randn(1, 3, 32, 32))
    for c in net.cells:
        s0, s1 = s1, c(s0, s1)
        widths.append(s1.shape[1] // len(c.outputs))
        sizes.append(s1.shape[2])
    # ELP-NAS layout: 36 -> 72 -> 144 channels at 32 -> 16 -> 8 px, reduction cells 3rd and 6th
    assert widths == [36, 36, 72, 72, 72, 144, 144, 144] and sizes == [32, 32, 16, 16, 16, 8, 8, 8]
    assert x.shape[1] == 3 * 36


def test_every_lut_key_is_a_timeable_layer():
    space = get_space("enas", channels=8, cells_per_stage=1)
    layers = space.lut_layers()
    rng = random.Random(4)
    for _ in range(200):
        arch = space.sample(rng)
        keys = space.lut_keys(arch)
        assert set(keys) <= set(layers)
        # stem, 5 cells x (2 preprocessing layers + 2B ops), classifier
        assert len(keys) == 1 + 5 * (2 + 2 * space.blocks) + 1
    assert set(OPS) == {k.split("/")[1].split(":")[0] for k in layers if k.startswith("op/")}


@pytest.mark.parametrize("name", ["enas", "yolo"])
def test_spaces_without_dead_choices_have_live_one_hot_equal_to_one_hot(name):
    """Only NB201 has dead choices; elsewhere the GP of a quality sees the plain one-hot choices."""
    space = get_space(name)
    assert not space.dead_choices and get_space("nb201").dead_choices
    rng = random.Random(0)
    for _ in range(5):
        arch = space.sample(rng)
        assert space.live_one_hot(arch) == space.one_hot(arch)
