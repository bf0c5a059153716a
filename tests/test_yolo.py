import random

import numpy as np
import pytest
import torch

from spaces import ArchGraph, get_space
from spaces.onnx import onnx_session, to_onnx
from spaces.yolo.__main__ import main as describe_main
from spaces.yolo.model_yaml import from_yaml, to_yaml


@pytest.fixture(scope="module", params=["yolov7", "yolov7-tiny"])
def space(request):
    return get_space("yolo", base=request.param)


def test_every_depth_vector_round_trips_through_the_graph(space):
    assert space.size == 3**4 * 5**4
    sizes = set()
    for arch in space.enumerate():
        graph = space.to_graph(arch)
        assert space.from_graph(graph) == arch
        sizes.add(graph.num_nodes)
    assert max(sizes) == space.max_nodes and len(sizes) > 10  # the graph size varies with depth


def test_depth_vectors_round_trip_through_yaml(space):
    rng = random.Random(0)
    archs = [tuple(min(d, c[-1]) for c in space.choices) for d in range(1, 6)]  # every depth of every block
    archs += [space.sample(rng) for _ in range(100)]
    for arch in archs:
        assert from_yaml(space, to_yaml(space, arch)) == arch
        assert space.parse(space.format(arch)) == arch


def test_maximum_depths_rebuild_the_original_models():
    v7 = get_space("yolo", base="yolov7")
    tiny = get_space("yolo", base="yolov7-tiny")
    # YOLOv7 (deploy) 36.9 M and YOLOv7-tiny 6.2 M parameters, as published
    assert v7.params((3, 3, 3, 3, 5, 5, 5, 5)) == 36_928_413
    assert tiny.params((3,) * 8) == 6_227_101
    original_elan = [layer for layer in v7.layers((3, 3, 3, 3, 5, 5, 5, 5)) if layer.module == "Concat"]
    # backbone concat [-1, -3, -5, -6] and neck concat [-1 .. -6], as in yolov7.yaml
    assert [len(layer.sources) for layer in original_elan][:2] == [4, 2]
    assert max(len(layer.sources) for layer in original_elan) == 6


@pytest.mark.parametrize("base", ["yolov7", "yolov7-tiny"])
def test_output_shapes_at_640_for_extreme_depths(base):
    space = get_space("yolo", base=base, backbone_max_depth=5, head_max_depth=7)
    for arch in [(1,) * 8, (5, 5, 5, 5, 7, 7, 7, 7)]:
        with torch.no_grad():
            outputs = space.build(arch).eval()(torch.zeros(1, 3, 640, 640))
        assert [tuple(o.shape) for o in outputs] == [(1, 255, 80, 80), (1, 255, 40, 40), (1, 255, 20, 20)]


def test_random_depths_and_class_counts_at_a_small_size():
    space = get_space("yolo", base="yolov7", image_size=64, num_classes=3)
    rng = random.Random(1)
    for _ in range(3):
        with torch.no_grad():
            outputs = space.build(space.sample(rng)).eval()(torch.zeros(2, 3, 64, 64))
        assert [tuple(o.shape) for o in outputs] == [(2, 24, 8, 8), (2, 24, 4, 4), (2, 24, 2, 2)]


def test_projection_recovers_depths_and_is_always_valid(space):
    rng = random.Random(2)
    n = space.max_nodes
    for _ in range(20):
        arch = space.sample(rng)
        graph = space.to_graph(arch)
        nodes = torch.full((n, len(space.node_types) + 1), -3.0)
        nodes[torch.arange(graph.num_nodes), torch.tensor(graph.ops)] = 3.0
        nodes[graph.num_nodes :, -1] = 3.0  # "no node" after the end
        assert space.project(nodes, torch.zeros(n, n)) == arch
        noisy = space.project(torch.randn(n, len(space.node_types) + 1), torch.randn(n, n))
        assert space.is_valid_graph(space.to_graph(noisy))


def test_bad_strings_graphs_and_yaml_are_refused(space):
    arch = space.sample(random.Random(3))
    with pytest.raises(ValueError, match="depth 9 of ELAN block 1"):
        space.parse(f"{space.base}:9,1,1,1,1,1,1,1")
    with pytest.raises(ValueError, match="this space's base"):
        space.parse("yolov5:1,1,1,1,1,1,1,1")
    graph = space.to_graph(arch)
    assert not space.is_valid_graph(ArchGraph(graph.ops, graph.edges[1:]))
    text = to_yaml(space, arch)
    edited = text.replace("[-1, 1, Conv, [64, 3, 1", "[-1, 1, Conv, [48, 3, 1", 1)
    assert edited != text
    with pytest.raises(ValueError, match=r"layer \d+ is Conv \[48"):
        from_yaml(space, edited)
    with pytest.raises(ValueError, match="unknown module 'Focus'"):
        from_yaml(space, text.replace("MP", "Focus", 1))


def test_onnx_export_matches_pytorch():
    space = get_space("yolo", base="yolov7-tiny", image_size=96, num_classes=4)
    model = space.build((2, 1, 3, 2, 4, 1, 5, 2)).eval()
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        expected = [o.numpy() for o in model(x)]
    session = onnx_session(to_onnx(model, (1, 3, 96, 96)), threads=1)
    got = session.run(None, {"images": x.numpy()})
    assert len(got) == 3
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_describe_command(tmp_path, capsys):
    argv = ["describe", "--base", "yolov7-tiny", "--depths", "1,2,3,4,5,6,7,1", "--image-size", "64",
            "--yaml", str(tmp_path / "m.yaml"), "--onnx", str(tmp_path / "m.onnx")]
    assert describe_main(argv) == 0
    out = capsys.readouterr().out
    assert "params:" in out and "FLOPs:" in out and "output stride 32: 1 x 255 x 2 x 2" in out
    wide = get_space("yolo", base="yolov7-tiny", backbone_max_depth=5, head_max_depth=7)
    assert from_yaml(wide, (tmp_path / "m.yaml").read_text()) == (1, 2, 3, 4, 5, 6, 7, 1)
    assert (tmp_path / "m.onnx").stat().st_size > 1000
    assert describe_main(["describe", "--depths", "1,2,3"]) == 2
