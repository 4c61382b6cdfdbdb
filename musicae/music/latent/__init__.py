"""Latent tools: attributes and their vectors, similar and grid moves, quality analysis, plots."""
