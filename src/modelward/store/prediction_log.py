"""DuckDB reads of the prediction log for monitoring: time range, window counts, windows (whole
or as Arrow batches) and request-id lookups. Implements
``modelward.domain.monitoring.PredictionLog``; the writer is in `modelward.store.predictions`.

Only the day partitions a window touches are opened, and DuckDB filters on ``ts`` while it
scans, so a monitoring run never holds more than one window (or one batch) in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from modelward.store import objectstore
from modelward.store.predictions import _files

_READ = "read_parquet(?, union_by_name = true, hive_partitioning = false)"


class ParquetPredictionLog:
    """The prediction log under `root` (``deployment=NAME/date=YYYY-MM-DD/*.parquet``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = root if objectstore.is_remote(root) else Path(root)

    def _all_files(self, deployment: str) -> list[str]:
        return objectstore.glob(self.root, f"deployment={deployment}/*/*.parquet")

    def time_range(self, deployment: str) -> tuple[datetime, datetime] | None:
        files = self._all_files(deployment)
        if not files:
            return None
        with objectstore.duckdb_connect(self.root) as con:
            row = con.execute(f"SELECT min(ts), max(ts) FROM {_READ}", [files]).fetchone()
        if row is None or row[0] is None:
            return None
        return row[0], row[1]

    def count(self, deployment: str, start: datetime, end: datetime) -> int:
        """Answered records (shadow scorings excluded) with ``start <= ts < end``."""
        files = _files(self.root, deployment, start, end)
        if not files:
            return 0
        with objectstore.duckdb_connect(self.root) as con:
            row = con.execute(
                f"SELECT count(*) FROM {_READ} WHERE ts >= ? AND ts < ? AND arm <> 'shadow'",
                [files, start, end],
            ).fetchone()
        return int(row[0]) if row else 0

    def read(self, deployment: str, start: datetime, end: datetime) -> Any:
        from modelward.store.predictions import read_predictions

        return read_predictions(self.root, deployment, start, end)

    def iter_batches(
        self, deployment: str, start: datetime, end: datetime, *, columns: list[str], rows: int
    ) -> Iterator[Any]:
        files = _files(self.root, deployment, start, end)
        if not files:
            return
        select = ", ".join(f'"{c}"' for c in columns)
        with objectstore.duckdb_connect(self.root) as con:
            relation = con.sql(
                f"SELECT {select} FROM {_READ} WHERE ts >= ? AND ts < ? AND arm <> 'shadow'",
                params=[files, start, end],
            )
            # a streaming reader: duckdb 2 names it to_arrow_reader, duckdb 1 fetch_arrow_reader
            fetch = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
            yield from fetch(rows)

    def partitions(self, deployment: str, start: datetime, end: datetime) -> list[str]:
        """The files a window touches (Dask reads each as one partition)."""
        return _files(self.root, deployment, start, end)

    def read_partition(
        self, part: str, start: datetime, end: datetime, *, columns: list[str]
    ) -> Any:
        """One file's answered records with start <= ts < end, as a pandas DataFrame; columns
        the file lacks (logged before a feature existed) are nulls."""
        with objectstore.duckdb_connect(self.root) as con:
            described = con.execute(f"DESCRIBE SELECT * FROM {_READ}", [[part]]).fetchall()
            present = {row[0] for row in described}
            select = ", ".join(f'"{c}"' if c in present else f'NULL AS "{c}"' for c in columns)
            return con.execute(
                f"SELECT {select} FROM {_READ} WHERE ts >= ? AND ts < ? AND arm <> 'shadow'",
                [[part], start, end],
            ).df()

    def request(self, deployment: str, request_id: str) -> Any:
        """Every logged row of one request (any arm), as a pandas DataFrame."""
        import duckdb
        import pandas as pd

        files = self._all_files(deployment)
        if not files:
            return pd.DataFrame({"request_id": [], "row": [], "arm": []})
        with duckdb.connect() as con:
            return con.execute(
                f"SELECT * FROM {_READ} WHERE request_id = ? ORDER BY row, ts", [files, request_id]
            ).df()

    def lookup(self, deployment: str, keys: Any) -> Any:
        import pandas as pd

        files = self._all_files(deployment)
        if not files or len(keys) == 0:
            return pd.DataFrame({"request_id": [], "row": [], "ts": []})
        with objectstore.duckdb_connect(self.root) as con:
            con.register("wanted", keys[["request_id", "row"]])
            # one row per key even if a record was logged twice (the first answer counts)
            return con.execute(
                f"SELECT l.request_id, l.row, min(l.ts) AS ts FROM {_READ} AS l"
                " JOIN wanted AS w ON l.request_id = w.request_id AND l.row = w.row"
                " WHERE l.arm <> 'shadow' GROUP BY l.request_id, l.row",
                [files],
            ).df()
