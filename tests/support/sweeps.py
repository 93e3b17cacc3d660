"""Trial functions for the sweep tests (imported by the worker)."""

import math
import os
import time


def score(x: float, y: float, log: str | None = None, delay: float = 0.01) -> dict:
    """A deterministic score of (x, y), best (1.0) at x=0.3, y=0.7. With
    ``log``, one line per call: start and end times (monotonic) and the pid,
    from which a test reads how many calls overlapped."""
    started = time.monotonic()
    time.sleep(delay)
    value = 1.0 - ((x - 0.3) ** 2 + (y - 0.7) ** 2)
    if log:
        line = f"{started:.6f} {time.monotonic():.6f} {os.getpid()} {x} {y}\n"
        with open(log, "a") as out:
            out.write(line)
    return {"score": value, "x": x, "y": y}


def picky(x: float, y: float) -> dict:
    """Fails for negative x; otherwise a score."""
    if x < 0:
        raise ValueError(f"x must not be negative, got {x}")
    return {"score": x + y}


def no_metric(x: float) -> dict:
    return {"something_else": x}


def loss(lr: float, layers: int) -> float:
    """A loss (lower is better) returned as a bare number."""
    return abs(math.log10(lr) + 2) + 0.1 * layers


def slow(x: float, delay: float = 0.3) -> dict:
    time.sleep(delay)
    return {"score": x}


def capped(x: int) -> dict:
    """``min(x, 3)``, sooner the higher ``x`` (so equal scores finish out of order)."""
    time.sleep((6 - x) * 0.1)
    return {"score": min(x, 3)}


def bulky(x: int) -> dict:
    """A score with a 20 kB output."""
    return {"score": x, "weights": "w" * 20_000}


def max_overlap(log: str) -> int:
    """The most calls in ``log`` that ran at the same moment."""
    edges: list[tuple[float, int]] = []
    with open(log) as lines:
        for line in lines:
            start, end = (float(v) for v in line.split()[:2])
            edges += [(start, 1), (end, -1)]
    most = running = 0
    for _, change in sorted(edges, key=lambda e: (e[0], e[1])):
        running += change
        most = max(most, running)
    return most
