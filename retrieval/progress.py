"""Progress of long index work, for front ends that want to show it (the CLI's tqdm bars)."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")

# (total, description) -> a bar with update(n) and close(); None shows nothing.
ProgressFactory = Callable[[int, str], Any]


def track(
    items: Iterable[T],
    total: int,
    progress: ProgressFactory | None,
    description: str,
    weight: Callable[[T], int] = lambda _: 1,
) -> Iterator[T]:
    """``items``, advancing a bar of ``total`` steps by ``weight(item)`` per item (a batch
    counts its texts) when there is a bar."""
    if progress is None or total <= 0:
        yield from items
        return
    bar = progress(total, description)
    try:
        for item in items:
            yield item
            bar.update(weight(item))
    finally:
        bar.close()
