"""Objects that leave a marker file when they are built: a live pickle payload and a class
whose ``__setstate__`` runs code (what a skops loader that trusted it would call)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any


class TouchOnUnpickle:
    """Unpickling it calls ``Path(marker).touch()``: the shape of a real pickle exploit."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path(self.marker).touch, ())


def pickle_payload(marker: Path) -> bytes:
    """Pickle bytes that create `marker` when anything unpickles them."""
    return pickle.dumps(TouchOnUnpickle(marker))


class TouchOnBuild:
    """A model-looking object whose ``__setstate__`` creates its marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __setstate__(self, state: dict[str, Any]) -> None:
        Path(state["marker"]).touch()
        self.__dict__.update(state)

    def fit(self, *args: Any) -> TouchOnBuild:
        return self

    def predict(self, frame: Any) -> Any:
        return [0] * len(frame)
