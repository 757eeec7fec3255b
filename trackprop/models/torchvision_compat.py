"""Make torchvision (a CUDA build on PyPI) importable next to the CPU torch wheel.

torchvision's import registers fake kernels for its C++ operators `nms` and `qnms`; with the CPU
torch those operator schemas do not exist and the import fails ("operator torchvision::nms does
not exist"). timm and segmentation-models-pytorch import torchvision, so we define the two schemas
first. Nothing in trackprop calls them. Import this module before anything that imports timm/smp.
"""

import torch


def _register_missing_schemas() -> None:
    try:
        import torchvision  # noqa: F401 - a build matching torch (a GPU machine's) registers them

        return
    except RuntimeError:
        pass
    library = torch.library.Library("torchvision", "DEF")
    library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    library.define("qnms(Tensor qdets, Tensor qscores, float iou_threshold) -> Tensor")
    _LIBRARIES.append(library)  # the schemas live as long as the Library object


_LIBRARIES: list = []
_register_missing_schemas()
