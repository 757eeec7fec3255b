"""Networks: torch definitions for training and export (`networks`, `pretrained`, `export`),
numpy input encoding (`encoding`) and ONNX Runtime sessions for inference (`runtime`).

Only the torch modules import torch; the run-time path (encoding, runtime) never does.
"""
