import json

import torch

from gvae.latent import LatentModel
from gvae.data import collate
from gvae.metrics import prior_quality, reconstruction
from gvae.model import GraphVAE, GVAEConfig, vae_loss
from gvae.settings import ModelSettings, TrainSettings
from gvae.train import fit, main, split
from spaces import get_space


def test_one_short_epoch_and_shapes():
    space = get_space("nb201")
    archs = list(space.enumerate())[::50]
    train, test = split(archs, 0.1, seed=0)
    assert len(train) + len(test) == len(archs) and len(test) == round(len(archs) * 0.1)
    model = fit(space, train, ModelSettings(latent_dim=6, hidden_dim=16, num_layers=2), TrainSettings(epochs=1), progress=False)
    z = model.encode(test)
    assert z.shape == (len(test), 6) and z.dtype == torch.float64
    decoded = model.decode(z)
    assert len(decoded) == len(test)
    assert all(space.is_valid_graph(space.to_graph(a)) for a in decoded)
    node_logits, edge_logits = model.logits(z)
    assert node_logits.shape == (len(test), 8, len(space.node_types) + 1)
    assert edge_logits.shape == (len(test), 8, 8)
    assert len(model.decode_raw(z)) == len(test)


def test_training_gives_one_model_whatever_the_thread_count():
    """Training pins torch's thread count (restoring the caller's), so the same seed gives
    bit-identical weights with 1 or 2 caller threads; unpinned, these two differ (last bits)."""
    space = get_space("nb201")
    archs = list(space.enumerate())[::8]
    config = TrainSettings(epochs=1, batch_size=256)
    previous = torch.get_num_threads()
    states = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            states.append(fit(space, archs, config=config, progress=False).vae.state_dict())
            assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(previous)
    assert states[0].keys() == states[1].keys()
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_loss_is_finite_and_decreases():
    space = get_space("nb201")
    archs = list(space.enumerate())[::40]
    c = GVAEConfig(num_types=len(space.node_types), max_nodes=space.max_nodes, latent_dim=4, hidden_dim=16,
                   num_layers=2)
    torch.manual_seed(0)
    vae = GraphVAE(c)
    batch = collate([space.to_graph(a) for a in archs], c.num_types, c.max_nodes)
    opt = torch.optim.Adam(vae.parameters(), lr=1e-2)
    first, _ = vae_loss(vae, batch, beta=0.01)
    for _ in range(30):
        loss, parts = vae_loss(vae, batch, beta=0.01)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert torch.isfinite(first) and float(loss) < 0.5 * float(first)
    assert set(parts) == {"node", "edge", "kl"}


def test_checkpoint_round_trip_and_metrics(nb201_checkpoint, tmp_path):
    model = LatentModel.load(nb201_checkpoint)
    space = model.space
    archs = list(space.enumerate())[::997]
    again_path = tmp_path / "again.pt"
    model.save(again_path)
    again = LatentModel.load(again_path, space)
    assert torch.equal(model.encode(archs), again.encode(archs))
    recon = reconstruction(model, archs)
    assert 0.0 <= recon["recon_exact"] <= 1.0 and recon["recon_ops"] > 0.4
    quality = prior_quality(model, archs, n_samples=300, seed=0)
    assert quality["validity"] == 1.0  # projection is valid by construction
    assert 0.0 <= quality["validity_raw"] <= 1.0
    assert 0.0 < quality["uniqueness"] <= 1.0 and 0.0 <= quality["novelty"] <= 1.0


def test_train_command_writes_model_and_metrics(tmp_path):
    out = tmp_path / "run"
    assert main(["--space", "nb201", "--out", str(out), "--epochs", "1", "--latent-dim", "4",
                 "--max-archs", "400", "--samples", "200"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("recon_exact", "recon_per_element", "validity_raw", "validity", "uniqueness", "novelty",
                "train_seconds", "epochs", "latent_dim", "n_train", "n_test"):
        assert key in metrics
    assert metrics["n_train"] + metrics["n_test"] == 400 and metrics["latent_dim"] == 4
    model = LatentModel.load(out / "model.pt")
    assert model.latent_dim == 4 and model.info["train"]["epochs"] == 1
