"""Multi-objective Bayesian optimization in a graph-VAE latent space."""
