import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def record_networks(monkeypatch, module) -> list[str]:
    """The file names of the propagation networks that `module`'s Sessions run, in order."""
    names = []

    class Recorded(module.Session):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            names.append(self.propagator.network.path.name)

    monkeypatch.setattr(module, "Session", Recorded)
    return names
