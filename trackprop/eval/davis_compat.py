"""Let davisinteractive 1.0.4 (written for numpy 1.16, pandas 0.24, networkx 2) run on today's stack.

Import davisinteractive through this module. It restores the removed numpy aliases and functions,
the renamed networkx function it calls, and pandas' old habit of leaving text columns out of a
groupby mean (its report summary averages a table that also holds the session id). Nothing else
is changed. davisinteractive is GPL-3: we import it, we do not copy it.
"""

import networkx
import numpy
import pandas

for _alias, _type in {"int": int, "float": float, "bool": bool, "object": object}.items():
    if _alias not in numpy.__dict__:
        setattr(numpy, _alias, _type)
if not hasattr(numpy, "trapz"):
    numpy.trapz = numpy.trapezoid
if not hasattr(networkx, "from_scipy_sparse_matrix"):
    networkx.from_scipy_sparse_matrix = networkx.from_scipy_sparse_array

# Only now may davisinteractive be imported.
from davisinteractive.dataset import Davis  # noqa: E402
from davisinteractive.evaluation.service import EvaluationService  # noqa: E402
from davisinteractive.session import DavisInteractiveSession  # noqa: E402
from davisinteractive.utils.scribbles import annotated_frames  # noqa: E402

_summarize_report = EvaluationService.summarize_report


def _summarize_numeric_report(self, report):
    """The report without its text session id, every measure cast to a number (it may arrive as object)."""
    report = report.drop(columns=["session_id"], errors="ignore").copy()
    for column in report.columns:
        if column != "sequence":
            report[column] = pandas.to_numeric(report[column])
    return _summarize_report(self, report)


EvaluationService.summarize_report = _summarize_numeric_report

__all__ = ["Davis", "DavisInteractiveSession", "annotated_frames"]
