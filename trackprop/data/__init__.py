"""Data: DAVIS-format datasets, streaming video I/O, raw imagery and composited videos."""
