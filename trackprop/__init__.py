"""trackprop: interactive video object segmentation with tracker-guided mask propagation.

import trackprop
sess = trackprop.Session("video.mp4", tracker="csrt")
"""

from trackprop.errors import TrackpropError

__all__ = ["Session", "TrackpropError"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Session pulls in ONNX Runtime and OpenCV; load it on first use so `trackprop --help` stays quick.
    if name == "Session":
        from trackprop.session import Session

        return Session
    raise AttributeError(f"module 'trackprop' has no attribute {name!r}")
