"""Is a candidate better than the base, or is the difference one set's few lost objects?

    python -m benchmarks.paired --base A_val20.json A_val60.json --candidate B_val20.json B_val60.json

The files are `python -m benchmarks.quality --videos-out FILE`'s per-video scores. The same
videos are paired across the two sides (by set and name), so what one video's content does to
both cancels; the answer is the mean of the per-video differences in J&F (candidate - base) over
every set given, a 95 % bootstrap interval of that mean (videos resampled), and how many videos
gained or lost with the sign test's two-sided p (a change that moves many videos a little, each
within the noise of one, shows there and not in the mean's interval). A change whose interval
holds 0 and whose sign test is not small is not shown to differ by these videos.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from trackprop.errors import TrackpropError

RESAMPLES = 10_000


def per_video(paths: list[Path], key: str = "J&F") -> dict[tuple[str, str], float]:
    """{(set, video): score} from `--videos-out` files (one row each)."""
    scores = {}
    for path in paths:
        try:
            report = json.loads(path.read_text())
            for name, video in report["videos"].items():
                scores[(report["root"], name)] = float(video[key])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise TrackpropError(
                f"{path}: not a `benchmarks.quality --videos-out` file ({error!r})."
            ) from None
    return scores


def sign_test(gained: int, lost: int) -> float:
    """Two-sided p of `gained` against `lost` videos if either were as likely (ties left out)."""
    n = gained + lost
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(gained, lost) + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_difference(
    base: dict[tuple[str, str], float], candidate: dict[tuple[str, str], float], seed: int = 0
) -> dict:
    """Mean per-video difference (candidate - base), its 95 % bootstrap interval, and counts."""
    if set(base) != set(candidate):
        only = sorted(set(base) ^ set(candidate))[0]
        raise TrackpropError(f"video {only[1]} of {only[0]} is scored on one side only.")
    keys = sorted(base)
    difference = np.array([candidate[k] - base[k] for k in keys])
    rng = np.random.default_rng(seed)
    means = difference[rng.integers(0, len(keys), (RESAMPLES, len(keys)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    gained, lost = int((difference > 0).sum()), int((difference < 0).sum())
    return {
        "videos": len(keys),
        "base": float(np.mean([base[k] for k in keys])),
        "candidate": float(np.mean([candidate[k] for k in keys])),
        "difference": float(difference.mean()),
        "interval": (float(low), float(high)),
        "gained": gained,
        "lost": lost,
        "sign_p": sign_test(gained, lost),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", nargs="+", type=Path, required=True)
    parser.add_argument("--candidate", nargs="+", type=Path, required=True)
    args = parser.parse_args()
    try:
        result = paired_difference(per_video(args.base), per_video(args.candidate))
    except TrackpropError as error:
        parser.exit(2, f"error: {error}\n")
    low, high = result["interval"]
    print(
        f"{result['videos']} videos: J&F {result['base']:.3f} -> {result['candidate']:.3f}, "
        f"difference {result['difference']:+.4f} (95 % interval {low:+.4f} .. {high:+.4f}); "
        f"{result['gained']} videos gained, {result['lost']} lost "
        f"(sign test p {result['sign_p']:.3f})"
    )


if __name__ == "__main__":
    main()
