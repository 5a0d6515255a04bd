"""Small pictures as numbers: a feature's deploy durations over time as the points of an inline
SVG sparkline (templates/_pictures.html draws it; no script). Pure: the feature page gives the
deploys it read from the status store.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from fasit.reconcile import Deploy
from fasit.web import shown

__all__ = ["SPARK_HEIGHT", "SPARK_WIDTH", "deploy_durations", "sparkline"]

SPARK_WIDTH = 240
SPARK_HEIGHT = 40


def sparkline(values: Sequence[float], width: int, height: int) -> list[tuple[float, float]]:
    """(x, y) per value, left to right over `width`, y down from the top with 0 at the bottom
    and the largest value at the top (a single value sits in the middle).

    >>> sparkline([1, 2, 4], 100, 40)
    [(0.0, 30.0), (50.0, 20.0), (100.0, 0.0)]
    """
    if not values:
        return []
    top = max(values) or 1.0
    step = width / (len(values) - 1) if len(values) > 1 else 0.0
    left = 0.0 if len(values) > 1 else width / 2
    return [
        (round(left + index * step, 1), round(height - height * value / top, 1))
        for index, value in enumerate(values)
    ]


def deploy_durations(deploys: Sequence[Deploy]) -> dict[str, object]:
    """Finished deploys (any order) oldest first, each with the seconds from sent to done, and
    the sparkline over them: what the feature page and its twin show as `durations`."""
    ordered = sorted(deploys, key=lambda deploy: (deploy.sent_at, deploy.instruction_id))
    seconds = [max(0.0, (d.updated_at - d.sent_at).total_seconds()) for d in ordered]
    points = sparkline(seconds, SPARK_WIDTH, SPARK_HEIGHT)
    return {
        "count": len(ordered),
        "median_seconds": round(statistics.median(seconds), 1) if seconds else None,
        "max_seconds": round(max(seconds), 1) if seconds else None,
        "width": SPARK_WIDTH,
        "height": SPARK_HEIGHT,
        "points": " ".join(f"{x:g},{y:g}" for x, y in points),
        "deploys": [
            {
                "environment": deploy.environment,
                "version": deploy.version,
                "state": deploy.state.value,
                "sent_at": shown.time(deploy.sent_at),
                "seconds": round(took, 1),
                "x": x,
                "y": y,
            }
            for deploy, took, (x, y) in zip(ordered, seconds, points, strict=True)
        ],
    }
