"""Ports of data protection and reproducibility: the metadata repository, and what the
services need from the prediction-log files (erase rows, drop old rows, compact)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from modelward.domain.privacy import DataProtection, Reproduction


class PrivacyRepo(Protocol):
    """Data-protection settings per deployment, label erasure, samples and snapshots, and
    reproduction results."""

    def find_protection(self, deployment: str) -> DataProtection | None: ...

    def list_protection(self) -> list[DataProtection]: ...

    def save_protection(self, settings: DataProtection) -> DataProtection | None:
        """Insert or replace; returns the previous settings. NotFound: no such deployment."""
        ...

    def delete_labels(self, deployment: str, keys: Sequence[tuple[str, int]]) -> int: ...

    def delete_labels_before(self, deployment: str, before: datetime) -> int: ...

    def dataset_samples(self) -> list[tuple[str, str | None, list[str]]]:
        """(dataset id, sample sha256 or None, column names) of every dataset."""
        ...

    def dataset_profile(self, dataset_id: str) -> dict[str, Any]: ...

    def set_dataset_profile(self, dataset_id: str, profile: dict[str, Any]) -> None: ...

    def model_dataset_samples(self, model: str) -> list[tuple[str, str, datetime, int]]:
        """(dataset id, sample sha256, recorded at, version) for the data sets of the runs
        behind `model`'s versions."""
        ...

    def clear_dataset_sample(self, dataset_id: str) -> None: ...

    def set_dataset_sample(self, dataset_id: str, sha256: str) -> None: ...

    def snapshots(self) -> list[tuple[str, str, str]]:
        """(run id, artifact path, sha256) of every stored full data set."""
        ...

    def replace_artifact(self, run_id: str, path: str, sha256: str, size: int) -> None: ...

    def blob_in_use(self, sha256: str) -> bool: ...

    def add_reproduction(self, result: Reproduction) -> Reproduction: ...

    def list_reproductions(self, run_id: str) -> list[Reproduction]:
        """Newest first."""
        ...


# A row filter over a prediction-log table: (pyarrow table) -> boolean mask of rows to drop.
RowMatcher = Callable[[Any], Any]


class PredictionFiles(Protocol):
    """The prediction-log files of every deployment, for the data-protection lifecycle."""

    def deployments(self) -> list[str]: ...

    def remove_rows(
        self, deployment: str, matcher: RowMatcher, *, columns: Collection[str]
    ) -> tuple[int, list[tuple[str, int]], int]:
        """Rewrite every file holding rows the matcher picks, without them.

        Returns (rows removed, their (request_id, row) keys, files rewritten).
        """
        ...

    def remove_before(self, deployment: str, before: datetime) -> int:
        """Drop every row logged before `before` (whole day folders when they can)."""
        ...

    def compact(self, deployment: str, *, today: date) -> tuple[int, int]:
        """Merge the per-process files of each day before `today` into one; returns (days,
        files merged)."""
        ...
