"""Networks: torch definitions for training and export, ONNX Runtime sessions for inference.

The torchvision shim is imported here so that it runs before any submodule imports smp or timm.
"""

import trackprop.models.torchvision_compat  # noqa: F401
