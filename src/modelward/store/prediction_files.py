"""The prediction log's files, for the data-protection lifecycle: erase chosen rows, drop rows
past retention, and compact each day's per-process files into one.

Implements ``modelward.domain.privacy_ports.PredictionFiles``. Every rewrite is atomic (a
temporary file renamed into place), so readers see the old file or the new one, never a part.
Compaction merges only days before today (UTC): serving processes still append files to
today's folder, and a merged file must not race a file being written.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from modelward.domain.privacy_ports import RowMatcher
from modelward.store.private import FILE_MODE, storage_error

COMPACT_PREFIX = "compacted-"


def _write(table: pa.Table, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise storage_error(exc, where=target) from exc


def _day(folder: Path) -> date | None:
    try:
        return date.fromisoformat(folder.name.removeprefix("date="))
    except ValueError:
        return None


class ParquetPredictionFiles:
    """The files under `root` (``deployment=NAME/date=YYYY-MM-DD/*.parquet``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def deployments(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name.removeprefix("deployment=") for p in self.root.glob("deployment=*") if p.is_dir()
        )

    def _days(self, deployment: str) -> list[Path]:
        base = self.root / f"deployment={deployment}"
        return sorted(p for p in base.glob("date=*") if p.is_dir() and _day(p) is not None)

    def files(self, deployment: str) -> list[Path]:
        """Every Parquet file of the deployment, oldest day first."""
        return [f for day in self._days(deployment) for f in sorted(day.glob("*.parquet"))]

    def remove_rows(
        self, deployment: str, matcher: RowMatcher, *, columns: Collection[str]
    ) -> tuple[int, list[tuple[str, int]], int]:
        removed, keys, rewritten = 0, [], 0
        for path in self.files(deployment):
            present = set(pq.read_schema(path).names)
            if not present & set(columns):
                continue
            table = pq.read_table(path)
            mask = np.asarray(matcher(table), dtype=bool)
            if not mask.any():
                continue
            gone = table.filter(pa.array(mask))
            keys += list(
                zip(
                    gone.column("request_id").to_pylist(),
                    gone.column("row").to_pylist(),
                    strict=True,
                )
            )
            removed += gone.num_rows
            kept = table.filter(pa.array(~mask))
            if kept.num_rows:
                _write(kept, path)
            else:
                path.unlink()
            rewritten += 1
        return removed, [(str(r), int(n)) for r, n in keys], rewritten

    def remove_before(self, deployment: str, before: datetime) -> int:
        removed = 0
        for folder in self._days(deployment):
            day = _day(folder)
            assert day is not None
            if day < before.date():
                for path in folder.glob("*.parquet"):
                    removed += pq.read_metadata(path).num_rows
                shutil.rmtree(folder)
            elif day == before.date():
                cut = pa.scalar(before.astimezone(UTC), pa.timestamp("us", tz="UTC"))
                for path in sorted(folder.glob("*.parquet")):
                    table = pq.read_table(path)
                    keep = pc.greater_equal(table.column("ts"), cut)
                    kept = table.filter(keep)
                    if kept.num_rows == table.num_rows:
                        continue
                    removed += table.num_rows - kept.num_rows
                    if kept.num_rows:
                        _write(kept, path)
                    else:
                        path.unlink()
        return removed

    def compact(self, deployment: str, *, today: date) -> tuple[int, int]:
        days = merged = 0
        for folder in self._days(deployment):
            day = _day(folder)
            parts = sorted(folder.glob("*.parquet"))
            if day is None or day >= today or len(parts) < 2:
                continue
            tables = [pq.read_table(p) for p in parts]
            table = pa.concat_tables(tables, promote_options="permissive")
            table = table.sort_by([("ts", "ascending"), ("request_id", "ascending")])
            _write(table, folder / f"{COMPACT_PREFIX}{uuid.uuid4().hex[:12]}.parquet")
            for part in parts:
                part.unlink()
            days += 1
            merged += len(parts)
        return days, merged
