"""A user evaluator for detectors: a few training steps on a tiny synthetic detection set.

Interface of ``source: callable`` (see ``mobo.objectives.user``)::

    objectives:
      accuracy:
        source: callable
        function: examples.yolo_synthetic_detection:evaluate
        direction: maximize

``evaluate(arch, model) -> float`` receives the space's architecture object
(for the YOLO space the ELAN depth tuple) and its built, untrained network;
it returns a number (here an F1 score in %). This one makes 96 images of
64 x 64 px in code (1-3 filled squares of one of 3 colours on noise), trains
the network for ``STEPS`` Adam steps on the stride-8 map (objectness where a
square's centre falls, class at those cells) and scores objectness F1 on 32
held-out images. It is a smoke-scale stand-in for real detection training:
replace the data and the metric with your own (e.g. COCO mAP).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

IMAGE = 64
STRIDE = 8
CLASSES = 3
STEPS = 30
COLOURS = torch.tensor([[1.0, 0.1, 0.1], [0.1, 1.0, 0.1], [0.1, 0.1, 1.0]])


def synthetic_set(n: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """``n`` images (``n x 3 x 64 x 64``), objectness and class targets (``n x 8 x 8``; class -1 = background)."""
    gen = torch.Generator().manual_seed(seed)
    images = 0.2 * torch.rand(n, 3, IMAGE, IMAGE, generator=gen)
    cells = IMAGE // STRIDE
    objectness = torch.zeros(n, cells, cells)
    classes = torch.full((n, cells, cells), -1, dtype=torch.long)
    for i in range(n):
        for _ in range(int(torch.randint(1, 4, (1,), generator=gen))):
            size = int(torch.randint(8, 20, (1,), generator=gen))
            x0, y0 = (int(v) for v in torch.randint(0, IMAGE - size, (2,), generator=gen))
            c = int(torch.randint(0, CLASSES, (1,), generator=gen))
            images[i, :, y0 : y0 + size, x0 : x0 + size] = COLOURS[c][:, None, None]
            cy, cx = (y0 + size // 2) // STRIDE, (x0 + size // 2) // STRIDE
            objectness[i, cy, cx] = 1.0
            classes[i, cy, cx] = c
    return images, objectness, classes


def evaluate(arch: object, model: nn.Module) -> float:
    """Objectness F1 (%) on held-out synthetic images after ``STEPS`` training steps."""
    torch.manual_seed(0)
    images, objectness, classes = synthetic_set(128, seed=0)
    train, test = slice(0, 96), slice(96, 128)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for step in range(STEPS):
        batch = slice((step * 16) % 96, (step * 16) % 96 + 16)
        idx = torch.arange(96)[train][batch]
        out = model(images[idx])[0]  # the stride-8 map: b x na*(nc+5) x 8 x 8
        first = out[:, : out.shape[1] // 3]  # the first anchor's outputs
        loss = nn.functional.binary_cross_entropy_with_logits(first[:, 4], objectness[idx])
        positive = classes[idx] >= 0
        if positive.any():
            logits = first[:, 5 : 5 + CLASSES].permute(0, 2, 3, 1)[positive]
            loss = loss + nn.functional.cross_entropy(logits, classes[idx][positive])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        predicted = model(images[test])[0][:, 4] > 0
    truth = objectness[test] > 0.5
    tp = float((predicted & truth).sum())
    precision = tp / max(float(predicted.sum()), 1.0)
    recall = tp / max(float(truth.sum()), 1.0)
    return 0.0 if tp == 0 else 100.0 * 2 * precision * recall / (precision + recall)
