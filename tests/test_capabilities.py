"""The search-space core and its optional capabilities."""

import random

import pytest

from spaces import get_space
from spaces.base import CostTableKeys, Featurized, GraphCodec, NetworkBuilder, SearchSpace, require


class Digits(SearchSpace):
    """A user's own space with the core only: a string of three digits 0-2."""

    name = "digits"

    def parse(self, text):
        if len(text) != 3 or set(text) - set("012"):
            raise ValueError(f"bad architecture {text!r}")
        return tuple(int(c) for c in text)

    def format(self, arch):
        return "".join(map(str, arch))

    def canonical_key(self, arch):
        return self.format(arch)

    def sample(self, rng):
        return tuple(rng.randrange(3) for _ in range(3))

    def neighbours(self, arch):
        return [arch[:i] + (v,) + arch[i + 1:] for i in range(3) for v in range(3) if v != arch[i]]

    @property
    def size(self):
        return 27

    def enumerate(self):
        return iter([(a, b, c) for a in range(3) for b in range(3) for c in range(3)])


def test_a_core_only_space_is_refused_where_a_capability_is_needed():
    space = Digits()
    arch = space.sample(random.Random(0))
    assert space.parse(space.format(arch)) == arch and len(list(space.enumerate())) == space.size
    for capability in (GraphCodec, Featurized, NetworkBuilder, CostTableKeys):
        assert not isinstance(space, capability)
    with pytest.raises(ValueError, match=r"space 'digits' has no GraphCodec capability \(.*from_graph.*to_graph\), "
                                         r"which the graph VAE needs"):
        require(space, GraphCodec, "the graph VAE")


@pytest.mark.parametrize("name, capabilities", [
    ("nb201", (GraphCodec, Featurized, NetworkBuilder)),
    ("enas", (GraphCodec, Featurized, NetworkBuilder, CostTableKeys)),
    ("yolo", (GraphCodec, Featurized, NetworkBuilder, CostTableKeys)),
])
def test_built_in_spaces_state_their_capabilities(name, capabilities):
    space = get_space(name)
    for capability in capabilities:
        require(space, capability, "this test")
    assert isinstance(space, CostTableKeys) == (CostTableKeys in capabilities)
