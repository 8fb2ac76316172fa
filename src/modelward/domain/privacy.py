"""Data protection and reproducibility records (pure): legal bases, a deployment's retention
and personal-data settings, the keyed pseudonym of a value, and a run's reproduction result.

The pseudonym is an HMAC-SHA256 of the value's text under a workspace secret: the same value
always gives the same pseudonym (so a categorical column keeps its distribution and drift is
still measured on it), and nobody without the key can go back from a pseudonym to the value
or test a guess.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelward.domain.gate import GateItem
from modelward.errors import InvalidInput

PSEUDONYM_PREFIX = "p:"  # marks a pseudonymised value in the log (never a clear one)
PSEUDONYM_HEX = 32  # 128 bits of the HMAC: collisions are out of reach for any log size


class LegalBasis(enum.StrEnum):
    """The lawful bases for processing personal data, GDPR Art. 6(1)(a)-(f)."""

    CONSENT = "6(1)(a)"
    CONTRACT = "6(1)(b)"
    LEGAL_OBLIGATION = "6(1)(c)"
    VITAL_INTERESTS = "6(1)(d)"
    PUBLIC_TASK = "6(1)(e)"
    LEGITIMATE_INTERESTS = "6(1)(f)"

    @property
    def key(self) -> str:
        """The basis's name as recorded on a column tag: "consent", "legal_obligation" ..."""
        return self.name.lower()

    @property
    def label(self) -> str:
        return f"GDPR Art. {self.value} {self.name.lower().replace('_', ' ')}"

    @classmethod
    def parse(cls, text: str) -> LegalBasis:
        """Accepts "6(1)(b)", "b", "art. 6(1)(b)" or the name ("contract", "legal_obligation",
        "legal obligation", "legal-obligation").

        Raises:
            InvalidInput: anything else (the message lists the closed list).
        """
        raw = str(text).strip().lower().replace("art.", "").replace("gdpr", "").strip()
        for basis in cls:
            letter = basis.value[-2]
            if raw in (
                basis.value,
                letter,
                f"({letter})",
                basis.key,
                basis.key.replace("_", " "),
                basis.key.replace("_", "-"),
            ):
                return basis
        raise InvalidInput(
            f"Legal basis {text!r} is not a GDPR Art. 6(1) basis; give one of {choices()}"
            " (the article, e.g. 6(1)(b), works too); write the purpose in the note.",
            field="legal_basis",
        )


def choices() -> str:
    """The closed list of legal bases, as a user types them."""
    return ", ".join(f"{b.key} ({b.value})" for b in LegalBasis)


def pseudonym(value: Any, key: bytes) -> str:
    """The keyed pseudonym of one value (its text form): ``p:`` + 32 hex digits.

    A whole float is written as an integer first (41.0 -> "41"), so a value keeps its
    pseudonym whether a request sent it as an integer or a float.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value if isinstance(value, str) else str(value)
    digest = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX]


def subject_reference(subject: str, key: bytes) -> str:
    """What the audit trail keeps of an erased subject: a keyed hash, never the key itself."""
    return hmac.new(key, b"erasure:" + subject.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class DataProtection:
    """A deployment's data-protection settings.

    `retention_days` bounds how long prediction logs, labels and dataset samples are kept
    (None: no limit); `personal_columns` are pseudonymised at logging unless the policy allows
    clear text; `subject_column` is the input column that identifies a person (what
    ``data erase --subject`` matches).
    """

    deployment: str
    legal_basis: LegalBasis | None
    retention_days: int | None
    personal_columns: tuple[str, ...]
    subject_column: str | None
    updated_by: str
    updated_at: datetime
    note: str = ""

    def __post_init__(self) -> None:
        days = self.retention_days
        if days is not None and (isinstance(days, bool) or days < 1):
            raise InvalidInput(
                f"The retention of {self.deployment!r} must be at least 1 day, got {days!r}.",
                field="retention_days",
            )
        if self.personal_columns and self.legal_basis is None:
            raise InvalidInput(
                f"Deployment {self.deployment!r} holds personal data"
                f" ({', '.join(self.personal_columns)}); give its legal basis, e.g."
                " --legal-basis 6(1)(b).",
                field="legal_basis",
            )

    @property
    def holds_personal_data(self) -> bool:
        return bool(self.personal_columns) or self.subject_column is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment,
            "legal_basis": self.legal_basis.value if self.legal_basis else None,
            "retention_days": self.retention_days,
            "personal_columns": list(self.personal_columns),
            "subject_column": self.subject_column,
            "note": self.note,
        }


@dataclass(frozen=True)
class ErasureResult:
    """What one erasure removed, by place; `subject_ref` is a keyed hash, not the subject."""

    subject_ref: str
    prediction_rows: int
    labels: int
    sample_rows: int
    snapshot_rows: int
    files_rewritten: int
    deployments: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.prediction_rows + self.labels + self.sample_rows + self.snapshot_rows


@dataclass(frozen=True)
class MaintenanceResult:
    """What one maintenance pass did, per deployment: rows past retention removed (log and
    labels), day folders compacted and files merged."""

    deployments: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def removed_rows(self) -> int:
        return sum(
            d.get("prediction_rows", 0) + d.get("labels", 0) for d in self.deployments.values()
        )


@dataclass(frozen=True)
class Reproduction:
    """The result of re-running a run's entry point on its stored code, environment and data."""

    run_id: str
    reproduced_run_id: str | None
    metrics_match: bool
    model_identical: bool | None  # None: the run logged no model
    metric_diffs: dict[str, list[float | None]]  # key -> [original, reproduced]
    tolerance: float
    environment: str  # "fresh-venv" or "current"
    actor: str
    created_at: datetime
    detail: str = ""
    id: int | None = None

    @property
    def passed(self) -> bool:
        return self.metrics_match and self.model_identical is not False

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "reproduced_run_id": self.reproduced_run_id,
            "metrics_match": self.metrics_match,
            "model_identical": self.model_identical,
            "metric_diffs": self.metric_diffs,
            "tolerance": self.tolerance,
            "environment": self.environment,
            "passed": self.passed,
            "detail": self.detail,
        }


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


class Pseudonymiser:
    """Replaces the values of chosen input columns by their keyed pseudonyms (missing values
    stay missing). Applied to each batch of the prediction log before it is written."""

    def __init__(self, columns: Collection[str], key: bytes) -> None:
        self.columns = frozenset(columns)
        self._key = key

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymiser(columns={sorted(self.columns)!r})"

    def values(self, values: Any) -> list[str | None]:
        listed = values.tolist() if hasattr(values, "tolist") else list(values)
        key = self._key
        return [None if _missing(v) else pseudonym(v, key) for v in listed]

    def __call__(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(inputs)
        for column in self.columns & out.keys():
            out[column] = self.values(out[column])
        return out


@dataclass(frozen=True)
class ReproducibilityFacts:
    """What the gate reads about a version's training run."""

    run_id: str | None = None
    snapshot: bool = False  # the training data stored whole
    latest: Reproduction | None = None  # the newest reproduction


def reproducibility_items(
    facts: ReproducibilityFacts, *, snapshot_required: bool, reproduction_required: bool
) -> list[GateItem]:
    """`reproducibility.data_snapshot` and `reproducibility.reproduced`, when required."""
    items = []
    run = f"run {facts.run_id[:12]}" if facts.run_id else "the version's run"
    if snapshot_required:
        detail = (
            f"{run} stored its training data whole"
            if facts.snapshot
            else f"{run} did not store its training data; log it with snapshot=True"
        )
        items.append(GateItem("reproducibility.data_snapshot", facts.snapshot, detail))
    if reproduction_required:
        latest = facts.latest
        if latest is None:
            detail, met = f"{run} was never reproduced; run 'modelward runs reproduce'", False
        elif latest.passed:
            detail, met = f"{run} reproduced on {latest.created_at:%Y-%m-%d}", True
        else:
            detail, met = f"the newest reproduction of {run} did not match: {latest.detail}", False
        items.append(GateItem("reproducibility.reproduced", met, detail))
    return items


@dataclass(frozen=True)
class PersonalDataHolding:
    """A deployment that holds personal data (GDPR Art. 30 record): which columns, on which
    legal basis, for how long, and whether the log keeps them as pseudonyms."""

    deployment: str
    model: str
    environment: str
    columns: tuple[str, ...]
    legal_basis: LegalBasis | None  # None: not recorded (a gap to close)
    retention_days: int | None  # None: kept without limit
    pseudonymised: bool
