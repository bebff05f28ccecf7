"""Stage timers for the build benchmarks: wrap a library function, add up its wall time."""

from __future__ import annotations

import time
from typing import Any


class Timers(dict):
    """``label -> seconds`` spent in every function wrapped under that label."""

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self[label] = self.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)
