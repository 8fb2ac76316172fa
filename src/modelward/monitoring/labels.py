"""Reading ground-truth label files and applying the duplicate rule (pure, no storage).

**The rule.** A label belongs to one logged record: a request id and, for requests of several
rows, the row within the request (``--row-column``; without one every label is for row 0,
i.e. single-row requests). When one file holds several labels for the same record the *last*
one in the file wins; a label for a record that already has one *replaces* it (the newest
label wins) and the record's ``times_received`` goes up, so repeats stay visible. Labels
whose request id is not in the prediction log are counted, reported with a few examples, and
not stored. Rows with an empty label are counted as ``missing_label`` and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelward.errors import InvalidInput

EXAMPLES = 5


@dataclass(frozen=True)
class LabelIngestResult:
    """What one ingestion did, count by count."""

    deployment: str
    received: int  # rows in the input
    stored: int  # new labels
    replaced: int  # labels that replaced a different, older one
    unchanged: int  # the same label again (nothing to change but the count)
    duplicates_in_file: int  # earlier rows of the file overridden by a later one
    unknown: int  # request ids not in the prediction log (not stored)
    missing_label: int  # rows whose label is empty (not stored)
    unknown_examples: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        text = (
            f"{self.deployment}: {self.received} label rows; {self.stored} new,"
            f" {self.replaced} replaced, {self.unchanged} unchanged,"
            f" {self.duplicates_in_file} duplicates in the file (last wins),"
            f" {self.unknown} unknown request ids, {self.missing_label} empty labels."
        )
        if self.unknown_examples:
            text += f" Unknown ids, e.g. {', '.join(map(repr, self.unknown_examples))}."
        return text


def read_label_frame(data: Any) -> pd.DataFrame:
    """A DataFrame, or a CSV / Parquet file, as a DataFrame.

    Raises:
        InvalidInput: the file does not exist or has another extension.
    """
    if isinstance(data, pd.DataFrame):
        return data
    path = Path(data)
    if not path.exists():
        raise InvalidInput(f"Label file {str(path)!r} does not exist.")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if path.suffix.lower() in (".csv", ".txt"):
        # ids stay text: "007" must not become 7
        return pd.read_csv(path, dtype={0: str}, keep_default_na=True, low_memory=False)
    raise InvalidInput(f"Label file {str(path)!r} must be .csv or .parquet.")


def prepare_labels(
    frame: pd.DataFrame, *, id_column: str, label_column: str, row_column: str | None = None
) -> tuple[pd.DataFrame, int, int]:
    """Keys and labels, one per record (the last in the file wins).

    Returns:
        ``(frame with request_id, row, label; duplicates dropped; missing labels dropped)``,
        the number of duplicate rows dropped and the number of empty labels.

    Raises:
        InvalidInput: a named column is not in the data.
    """
    for name in (id_column, label_column, row_column):
        if name is not None and name not in frame.columns:
            raise InvalidInput(
                f"Column {name!r} is not in the label data; its columns are"
                f" {', '.join(map(repr, list(frame.columns)[:20]))}."
            )
    ids = frame[id_column]
    rows = frame[row_column] if row_column else pd.Series(0, index=frame.index)
    out = pd.DataFrame(
        {
            "request_id": ids.astype("string"),
            "row": pd.to_numeric(rows, errors="coerce"),
            "label": frame[label_column],
        }
    )
    empty = out["label"].isna() | out["request_id"].isna() | out["row"].isna()
    missing = int(empty.sum())
    out = out[~empty]
    deduped = out.drop_duplicates(["request_id", "row"], keep="last")
    out = deduped.assign(row=deduped["row"].astype(np.int64), request_id=deduped["request_id"])
    return out.reset_index(drop=True), len(frame) - missing - len(deduped), missing


def plain(value: Any) -> Any:
    """A label as a JSON value (numpy scalars become Python ones)."""
    if isinstance(value, np.generic):
        return value.item()
    return value
