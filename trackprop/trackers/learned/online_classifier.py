"""ATOM's target classifier: a convolution filter learned online, per object, by conjugate gradient.

ATOM learns a 1x1 projection and a filter jointly by Gauss-Newton with conjugate-gradient inner
steps. Here the projection is fixed to the PCA of the first frame's features (ATOM's own
initialisation of it), which makes the remaining problem linear least squares in the filter:

    min_w  sum_j gamma_j || w * x_j - y_j ||^2 + lambda ||w||^2

x_j: projected feature maps in memory, y_j: Gaussian labels at the target, gamma_j: sample weights
(first-frame samples keep theirs, later ones decay). Conjugate gradient on its normal equations,
warm-started from the last filter, is exact in the limit and costs two matrix products per
iteration because each sample is stored as its unfolded patches.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ClassifierConfig:
    dims: int = 32  # projected feature channels
    filter_size: int = 5
    regularisation: float = 0.1
    memory: int = 50  # training samples kept (first-frame samples are never dropped)
    learning_rate: float = 0.05  # weight of a new sample relative to all before it
    init_iterations: int = 20
    update_iterations: int = 3
    label_sigma: float = 0.25  # of the target size, in feature cells


class OnlineClassifier:
    def __init__(self, features: torch.Tensor, config: ClassifierConfig = ClassifierConfig()):
        """`features` (N,C,H,W) of the first frame: their PCA is the fixed projection."""
        self.config = config
        flat = features.permute(0, 2, 3, 1).reshape(-1, features.shape[1])
        self.mean = flat.mean(0)
        _, _, vectors = torch.linalg.svd(flat - self.mean, full_matrices=False)
        self.projection = vectors[: config.dims].T  # (C, dims)
        self.filter = torch.zeros(config.dims * config.filter_size**2)
        self.patches: list[torch.Tensor] = []  # each (dims*k*k, H*W)
        self.labels: list[torch.Tensor] = []  # each (H*W,)
        self.weights: list[float] = []
        self.permanent = 0  # first-frame samples at the front of memory

    def _patches(self, features: torch.Tensor) -> torch.Tensor:
        """(N,C,H,W) -> (N, dims*k*k, H*W) unfolded projected features."""
        projected = torch.einsum("nchw,cd->ndhw", features, self.projection)
        projected = projected - (self.mean @ self.projection)[None, :, None, None]
        k = self.config.filter_size
        return F.unfold(projected, k, padding=k // 2)

    def add(self, features: torch.Tensor, labels: torch.Tensor, permanent: bool = False) -> None:
        """Samples (N,C,H,W) with their labels (N,H,W)."""
        patches = self._patches(features)
        if permanent:  # the first frame's samples, added once into an empty memory
            share = 1.0 / len(patches)
        else:
            rate = self.config.learning_rate
            self.weights = [w * (1 - rate) for w in self.weights]
            share = rate / len(patches)
        for sample, label in zip(patches, labels.flatten(1), strict=True):
            self.patches.append(sample)
            self.labels.append(label)
            self.weights.append(share)
        if permanent:
            self.permanent = len(self.patches)
        while len(self.patches) > self.config.memory:
            # Drop the lightest sample that is not from the first frame.
            index = self.permanent + min(
                range(len(self.patches) - self.permanent),
                key=lambda i: self.weights[self.permanent + i],
            )
            for store in (self.patches, self.labels, self.weights):
                del store[index]

    def _normal_operator(self, vector: torch.Tensor, patches: torch.Tensor, gammas: torch.Tensor):
        responses = torch.einsum("d,ndp->np", vector, patches)
        return torch.einsum("np,ndp->d", responses * gammas[:, None], patches) + (
            self.config.regularisation * vector
        )

    def optimise(self, iterations: int) -> None:
        """Conjugate gradient on the normal equations, from the current filter."""
        patches = torch.stack(self.patches)
        labels = torch.stack(self.labels)
        gammas = torch.tensor(self.weights) / sum(self.weights)
        right = torch.einsum("np,ndp->d", labels * gammas[:, None], patches)
        w = self.filter
        residual = right - self._normal_operator(w, patches, gammas)
        direction = residual.clone()
        rho = residual @ residual
        for _ in range(iterations):
            if rho < 1e-12:
                break
            applied = self._normal_operator(direction, patches, gammas)
            alpha = rho / (direction @ applied)
            w = w + alpha * direction
            residual = residual - alpha * applied
            rho_next = residual @ residual
            direction = residual + (rho_next / rho) * direction
            rho = rho_next
        self.filter = w

    def scores(self, features: torch.Tensor) -> torch.Tensor:
        """(1,C,H,W) -> (H,W) classification scores (about 1 at the target, 0 elsewhere)."""
        patches = self._patches(features)[0]
        return (self.filter @ patches).reshape(features.shape[2:])


def gaussian_label(
    center: tuple[float, float], size: tuple[int, int], sigma: float
) -> torch.Tensor:
    """(H,W) Gaussian peak at `center` (x, y) in feature-cell units (cell i centred at i)."""
    ys = torch.arange(size[0], dtype=torch.float32)[:, None]
    xs = torch.arange(size[1], dtype=torch.float32)[None, :]
    return torch.exp(-((xs - center[0]) ** 2 + (ys - center[1]) ** 2) / (2 * sigma**2))
