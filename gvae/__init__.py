"""Graph variational autoencoder embedding a search space in a continuous latent space."""

from gvae.latent import LatentModel
from gvae.model import GraphVAE, GVAEConfig

__all__ = ["GVAEConfig", "GraphVAE", "LatentModel"]
