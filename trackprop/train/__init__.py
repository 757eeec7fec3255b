"""Training: augmentations and training loops for the propagation and interaction networks."""
