"""Graph variational autoencoder embedding a search space in a continuous latent space.

Import what you need from its modules (``gvae.latent.LatentModel``, ``gvae.train``,
``gvae.settings``): importing the package itself loads nothing heavy.
"""
