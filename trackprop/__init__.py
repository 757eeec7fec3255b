"""trackprop: interactive video object segmentation with tracker-guided mask propagation."""

from trackprop.errors import TrackpropError

__all__ = ["TrackpropError"]
__version__ = "0.1.0"
