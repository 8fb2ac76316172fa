"""The notice for one decision, regenerated from the prediction log and the registered version.

What an adverse-action notice (ECOA / Regulation B: the principal reasons, up to four) or an
answer to a GDPR Art. 22 request needs: the decision, the version that took it, and the
features that weighed most against the applicant, each named by its reason code from the
project file's table::

    explain:
      favourable: 0          # the favourable class (or "higher" / "lower" for a score)
      reasons: 4             # principal reasons listed (default 4)
      reason_codes:
        debt_ratio: {code: R12, text: Debt too high relative to income}
        income: "R07: Income insufficient for the amount requested"

The contributions are computed again from the logged inputs with the registered version and
its training sample (the same method as at serving, `modelward.serving.explain`); when the log
kept the contributions given at the time, the two are compared, and a difference is reported
(it would mean the log or the version is not what answered). Each notice is audited.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from modelward.domain.audit import AuditEvent
from modelward.domain.deployment import Deployment
from modelward.domain.names import check_name
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.registry import ModelVersion
from modelward.domain.roles import Action
from modelward.errors import InvalidInput, NotFound
from modelward.registry import service as registry
from modelward.registry.flavors import LoadedModel
from modelward.registry.signature import enforce
from modelward.serving.explain import build_explainer, explaining

INPUT_PREFIX = "in_"  # the prediction log's input columns (modelward.store.predictions)
DEFAULT_REASONS = 4  # Regulation B: "no more than four" principal reasons
# Logged and recomputed contributions come from the same float64 arithmetic on the same inputs;
# they differ only by summation order (the serving fast path transforms a matrix, this a frame).
MATCH_TOLERANCE = 1e-6


class RequestLog(Protocol):
    """The prediction log, as far as a notice needs it (`store.prediction_log`)."""

    def request(self, deployment: str, request_id: str) -> Any:
        """The logged rows of one request (pandas DataFrame; empty when none)."""
        ...


@dataclass(frozen=True)
class Reason:
    """One principal reason: a feature, its code and text, value and weight in the decision."""

    feature: str
    code: str | None
    text: str
    value: Any
    contribution: float


@dataclass(frozen=True)
class Notice:
    """The explanation of one logged decision."""

    request_id: str
    row: int
    deployment: str
    model: str
    version: int
    scored_at: str
    decision: Any
    adverse: bool | None
    method: str
    output: str
    base_value: float
    value: float
    contributions: dict[str, float]
    reasons: list[Reason]
    matches_log: bool | None  # None: the log kept no contributions to compare with
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        """The notice as plain text, for a letter or a case file."""
        verdict = {True: " (adverse)", False: " (favourable)", None: ""}[self.adverse]
        lines = [
            f"Decision notice: request {self.request_id}, row {self.row}",
            f"Deployment {self.deployment}: {self.model} v{self.version}, scored {self.scored_at}",
            f"Decision: {self.decision}{verdict}",
            "Principal reasons:" if self.reasons else "No feature weighed against this decision.",
        ]
        for i, reason in enumerate(self.reasons, 1):
            code = f"{reason.code} " if reason.code else ""
            lines.append(
                f"  {i}. {code}{reason.text} ({reason.feature} = {reason.value};"
                f" {reason.contribution:+.4g})"
            )
        total = sum(self.contributions.values())
        lines.append(
            f"Method {self.method}: base value {self.base_value:.4g} + contributions"
            f" {total:+.4g} = {self.value:.4g} ({self.output})."
        )
        check = {True: "matches the log", False: "DIFFERS from the log", None: "no log to compare"}
        lines.append(f"Recomputed from the registered version: {check[self.matches_log]}.")
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)


@dataclass(frozen=True)
class NoticeSettings:
    """The ``explain:`` section of the project file."""

    favourable: Any = None
    reasons: int = DEFAULT_REASONS
    reason_codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any] | None) -> NoticeSettings:
        """Read and check the section. Raises InvalidInput naming the bad key."""
        section = dict(section or {})
        unknown = set(section) - {"favourable", "reasons", "reason_codes"}
        if unknown:
            raise InvalidInput(
                f"Unknown explain setting(s) {sorted(unknown)}; known: favourable, reasons,"
                " reason_codes."
            )
        reasons = section.get("reasons", DEFAULT_REASONS)
        if isinstance(reasons, bool) or not isinstance(reasons, int) or reasons < 1:
            raise InvalidInput(f"explain.reasons must be a whole number >= 1, got {reasons!r}.")
        codes = section.get("reason_codes") or {}
        if not isinstance(codes, Mapping):
            raise InvalidInput("explain.reason_codes must map feature names to reason codes.")
        return cls(
            section.get("favourable"), reasons, {str(k): _code(k, v) for k, v in codes.items()}
        )


def _code(feature: Any, entry: Any) -> dict[str, str]:
    if isinstance(entry, str):
        code, sep, text = entry.partition(":")
        return {"code": code.strip(), "text": text.strip()} if sep else {"code": "", "text": code}
    if isinstance(entry, Mapping) and isinstance(entry.get("text", ""), str):
        return {"code": str(entry.get("code") or ""), "text": str(entry.get("text") or feature)}
    raise InvalidInput(
        f"explain.reason_codes.{feature} must be 'CODE: text' or {{code: ..., text: ...}}."
    )


def reference_sample(
    uow: UnitOfWork, artifacts: ArtifactStore, model: str, version: int
) -> pd.DataFrame | None:
    """The training sample the version's run recorded (`log_dataset(role="training")`)."""
    with uow:
        found = uow.registry.get_version(model, version)
        if not found.run_id:
            return None
        run = uow.tracking.get_run(found.run_id)
    dataset = next((d for d in run.datasets if d.role == "training"), None)
    if dataset is None or dataset.sample_sha256 is None:
        return None
    return pd.read_parquet(io.BytesIO(artifacts.get_bytes(dataset.sample_sha256)))


def explain_decision(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    log: RequestLog,
    *,
    request_id: str,
    guard: Guard,
    deployment: str | None = None,
    row: int = 0,
    settings: NoticeSettings | None = None,
    allow_pickle: bool,
) -> Notice:
    """The notice of row `row` of request `request_id`, recomputed and audited.

    Raises:
        InvalidInput: `deployment` is not a valid name.
        NotFound: no deployment logged that request (or that row).
        PermissionDenied: the actor may not read predictions (the monitor permission).
    """
    settings = settings or NoticeSettings()
    if deployment is not None:  # a folder name of the log: no path tricks
        check_name(deployment, what="deployment")
    with uow:
        # the log holds applicants' inputs: reading it is the monitor permission's business
        guard.require(uow, Action.MONITOR, subject=f"deployment {deployment or '(any)'}")
        names = [deployment] if deployment else [d.name for d in uow.deployments.list_deployments()]
    logged, name = _find(log, names, request_id, row)
    model, version = str(logged["model"]), int(logged["version"])
    loaded = registry.load_model(
        uow, artifacts, uri=f"models:/{model}/{version}", allow_pickle=allow_pickle
    )
    columns = [str(c["name"]) for c in loaded.signature.get("columns", [])]
    frame = _inputs(logged, columns, loaded.signature)
    explainer = build_explainer(loaded, columns, reference_sample(uow, artifacts, model, version))
    if explainer is None:
        raise InvalidInput(f"{model} v{version} cannot be explained by any method.")
    explained = explainer.explain(frame).row(0)
    notice = _notice(logged, name, explained, frame, settings)
    with uow:
        uow.audit.append(
            AuditEvent(
                action="decision.explained",
                entity_type="deployment",
                entity_id=name,
                actor=guard.actor,
                at=guard.now(),
                after={"request_id": request_id, "row": row, "model": model, "version": version}
                | {"matches_log": notice.matches_log},
            )
        )
        uow.commit()
    return notice


def _find(log: RequestLog, names: list[str], request_id: str, row: int) -> tuple[Any, str]:
    for name in names:
        rows = log.request(name, request_id)
        if len(rows) == 0:
            continue
        answered = rows[(rows["arm"] != "shadow") & (rows["row"] == row)]
        if len(answered) == 0:
            raise NotFound(
                f"Request {request_id!r} has no answered row {row} in deployment {name!r};"
                f" it has {len(rows)} logged row(s)."
            )
        return answered.iloc[0], name
    where = f"deployment {names[0]!r}" if len(names) == 1 else "any deployment's log"
    raise NotFound(
        f"Request {request_id!r} is not in {where}; check the X-Request-ID of the answer"
        " (logs are written within a second or two of the answer)."
    )


def _inputs(logged: Any, columns: list[str], signature: dict[str, Any]) -> pd.DataFrame:
    values = {c: [_value(logged.get(INPUT_PREFIX + c))] for c in columns}
    frame = pd.DataFrame(values, columns=columns)
    try:
        return enforce(signature, frame)
    except InvalidInput:  # logged as another type (ints read back as floats): as logged
        return frame


def _value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _notice(
    logged: Any,
    name: str,
    explained: dict[str, Any],
    frame: pd.DataFrame,
    settings: NoticeSettings,
) -> Notice:
    contributions: dict[str, float] = explained["contributions"]
    decision = _value(logged.get("prediction"))
    adverse, sign = _adverse(decision, explained, settings.favourable)
    warnings: list[str] = []
    matches = _matches(logged.get("explanation"), contributions, warnings)
    against = sorted(
        ((f, c) for f, c in contributions.items() if sign == 0 or c * sign > 0),
        key=lambda item: -abs(item[1]),
    )[: settings.reasons]
    reasons = []
    for feature, weight in against:
        entry = settings.reason_codes.get(feature)
        if entry is None:
            warnings.append(f"Feature {feature!r} has no reason code in modelward.yaml.")
        value = _value(frame[feature].iloc[0]) if feature in frame else None
        code, text = (entry["code"] or None, entry["text"]) if entry else (None, feature)
        reasons.append(Reason(feature, code, text, value, float(weight)))
    if settings.favourable is None:
        warnings.append("explain.favourable is not set: reasons are the largest contributions.")
    return Notice(
        request_id=str(logged["request_id"]),
        row=int(logged["row"]),
        deployment=name,
        model=str(logged["model"]),
        version=int(logged["version"]),
        scored_at=pd.Timestamp(logged["ts"]).isoformat(),
        decision=decision,
        adverse=adverse,
        method=explained["method"],
        output=explained["output"],
        base_value=explained["base_value"],
        value=explained["value"],
        contributions=contributions,
        reasons=reasons,
        matches_log=matches,
        warnings=warnings,
    )


def _adverse(decision: Any, explained: dict[str, Any], favourable: Any) -> tuple[bool | None, int]:
    """Whether the decision is adverse, and the sign of contributions that weigh against it
    (0 with no favourable outcome declared: then every contribution counts, largest first)."""
    target = explained.get("target")
    if favourable is None:
        return None, 0
    if favourable in ("higher", "lower"):
        sign = -1 if favourable == "higher" else 1
        return None, sign
    adverse = str(decision) != str(favourable)
    if target is None:
        return adverse, 0
    # contributions push towards `target`: against the applicant when target is unfavourable
    return adverse, (-1 if str(target) == str(favourable) else 1)


def _matches(logged: Any, contributions: dict[str, float], warnings: list[str]) -> bool | None:
    if not isinstance(logged, str) or not logged:
        return None
    kept = json.loads(logged).get("contributions", {})  # all, or the top N of a batch job
    if not set(kept) <= set(contributions):
        warnings.append("The logged contributions name other features than the version's.")
        return False
    scale = max([1.0, *(abs(v) for v in contributions.values())])
    worst = max((abs(kept[f] - contributions[f]) for f in kept), default=0.0)
    if worst > MATCH_TOLERANCE * scale:
        warnings.append(
            f"The logged contributions differ from the registered version's by up to {worst:.3g}."
        )
        return False
    return True


def with_explanations(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    loaded: LoadedModel,
    version: ModelVersion,
    deployment: Deployment | None,
) -> LoadedModel:
    """`loaded` (of `version`), explaining each batch-scored row when `deployment` has
    explanations on (its ``explain_top``); as it is otherwise."""
    if deployment is None or not deployment.explain_top:
        return loaded
    columns = [str(c["name"]) for c in loaded.signature.get("columns", [])]
    reference = reference_sample(uow, artifacts, version.model, version.version)
    explainer = build_explainer(loaded, columns, reference)
    if explainer is None:
        return loaded
    return explaining(loaded, explainer, deployment.explain_top)
