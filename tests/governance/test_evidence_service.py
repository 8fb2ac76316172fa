"""Gate evidence through the public client: who may store the report the gate relies on, the
policy's thresholds over the report's, sign-offs bound to the evidence, the trainer as an
author, and train/validation overlap."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from modelward.client import Client
from modelward.domain.registry import ModelVersion
from modelward.errors import Conflict, PermissionDenied
from tests.builders import applicants, fitted_classifier
from tests.governance.helpers import acting_as, fill_card

USERS = {
    "alice": ["data_scientist"],  # registers versions
    "tom": ["data_scientist", "validator"],  # trains them, and validates other teams' models
    "bob": ["data_scientist"],
    "vera": ["validator"],
    "walt": ["validator"],
    "vic": ["viewer"],
}
# Fast validations: no explanations or robustness, no slice large enough to judge.
QUICK = {"explain": False, "robustness": False, "slice_min_size": 10_000}


@pytest.fixture
def team(gov: Client) -> Client:
    with acting_as(gov, "root"):  # the first user's registrar becomes admin
        for name, roles in USERS.items():
            gov.governance.add_user(name, roles)
    return gov


def trained(client: Client, *, trainer: str = "tom", registrar: str = "alice") -> ModelVersion:
    """A medium-risk version trained by `trainer` and registered by `registrar`."""
    frame = applicants()
    model, features = fitted_classifier(frame)
    with acting_as(client, trainer), client.start_run("credit") as run:
        run.log_dataset(frame, name="train", role="training")
        run.log_model(model, "model", input_example=features.head(5))
    with acting_as(client, registrar):
        version = client.registry.register(run.id, name="credit-risk")
        fill_card(client, version)
    with acting_as(client, "vera"):
        client.governance.assess(version.model, likelihood=3, severity=2, rationale="internal")
    return version


def unseen(rows: int = 200) -> pd.DataFrame:
    """Training rows the model never saw as such: the same figures, another region each, so
    every check but the overlap reads as on the training data."""
    frame = applicants()
    turn = {"north": "south", "south": "east", "east": "north"}
    return frame.assign(region=frame["region"].map(turn)).head(rows)


def validate(client: Client, user: str, data: pd.DataFrame, **config: Any) -> Any:
    with acting_as(client, user):
        return client.validation.validate(
            "models:/credit-risk/1", data, target="default", config=QUICK | config
        )


def item(client: Client, name: str) -> tuple[bool, str]:
    decision = client.governance.status("credit-risk", 1).decision
    found = next(i for i in decision.items if i.name == name)
    return found.met, found.detail


def test_a_viewer_cannot_store_a_report(team: Client) -> None:
    trained(team)
    with pytest.raises(PermissionDenied, match="vic \\(viewer\\) may not validate"):
        validate(team, "vic", unseen())
    assert team.validation.list("credit-risk", 1) == []


def test_a_relaxed_report_satisfies_the_gate_only_from_a_validator_meeting_the_policy(
    team: Client,
) -> None:
    trained(team)
    noise = unseen()
    noise["default"] = noise["default"].sample(frac=1, random_state=3).to_numpy()

    bobs = validate(team, "bob", noise, metrics={"min_roc_auc": 0.3})
    assert bobs.report.passed  # by the thresholds bob chose
    assert bobs.record.author_roles == ("data_scientist",)
    met, detail = item(team, "validation_report")
    assert not met
    assert detail == (
        f"the latest report (id {bobs.record.id}) was stored by bob (data_scientist); the gate"
        " needs one stored by a validator or admin: run 'modelward validate"
        " models:/credit-risk/1 ...' as one"
    )

    relaxed = validate(team, "vera", noise, metrics={"min_roc_auc": 0.3})
    assert relaxed.report.passed
    met, detail = item(team, "validation_report")
    assert not met
    assert "failed validation by the medium policy: performance.roc_auc" in detail
    assert f"report id {relaxed.record.id}" in detail

    good = validate(team, "vera", unseen())
    status = team.governance.status("credit-risk", 1)
    met, detail = item(team, "validation_report")
    assert met, detail
    assert "by vera (validator)" in detail
    assert status.decision.evidence_id == good.record.id
    assert status.decision.evidence_sha256 == good.record.report_sha256

    validate(team, "bob", noise, metrics={"min_roc_auc": 0.3})
    met, detail = item(team, "validation_report")
    assert met  # a newer report by bob is shown, not counted
    assert "by bob (data_scientist) does not count" in detail
    assert team.governance.status("credit-risk", 1).decision.evidence_id == good.record.id


def test_a_new_evidence_report_needs_new_sign_offs(team: Client) -> None:
    version = trained(team)
    # An approval needs a report to rest on (a rejection does not).
    with acting_as(team, "walt"), pytest.raises(Conflict, match="no validation report"):
        team.governance.approve("credit-risk", 1, role="validator", comment="ok")
    first = validate(team, "vera", unseen())
    met, _ = item(team, "sign_off.validator")
    assert not met

    with acting_as(team, "walt"):
        signed = team.governance.approve("credit-risk", 1, role="validator", comment="ok")
    assert signed.evidence_sha256 == first.record.report_sha256
    assert team.governance.status("credit-risk", 1).decision.allowed
    validate(team, "bob", unseen())  # not evidence: the sign-off still stands
    assert team.governance.status("credit-risk", 1).decision.allowed

    second = validate(team, "vera", unseen(150))
    met, detail = item(team, "sign_off.validator")
    assert not met
    assert detail.endswith(
        f"approval by walt (validator) was for report {first.record.report_sha256[:12]}, the"
        f" current evidence is {second.record.report_sha256[:12]}; sign off again"
    )
    with acting_as(team, "walt"):
        team.governance.approve("credit-risk", 1, role="validator", comment="still ok")
    with acting_as(team, "alice"):
        team.registry.set_alias(version.model, "champion", version.version)
    gate = next(
        e for e in team.governance.audit_events(limit=5) if e.action == "promotion.gate_passed"
    )
    assert gate.after is not None
    assert gate.after["evidence_id"] == second.record.id
    assert gate.after["evidence_sha256"] == second.record.report_sha256


def test_the_trainer_cannot_approve_a_version_someone_else_registered(team: Client) -> None:
    trained(team, trainer="tom", registrar="alice")
    validate(team, "vera", unseen())
    with acting_as(team, "tom"), pytest.raises(PermissionDenied, match="tom created credit-risk"):
        team.governance.approve("credit-risk", 1, role="validator", comment="mine, but fine")
    with acting_as(team, "walt"):
        team.governance.approve("credit-risk", 1, role="validator", comment="ok")
    assert team.governance.status("credit-risk", 1).decision.allowed


@pytest.mark.parametrize(
    ("seen", "met", "text"),
    [
        pytest.param(
            10, False, "5.00% of the validation rows (10) are also training rows", id="5%"
        ),
        pytest.param(0, True, "0.00% of the validation rows (0)", id="0%"),
    ],
)
def test_train_validation_overlap_at_medium_risk(
    team: Client, seen: int, met: bool, text: str
) -> None:
    trained(team)
    data = pd.concat([applicants().tail(seen), unseen(200 - seen)], ignore_index=True)
    done = validate(team, "vera", data)
    assert done.record.summary["overlap_rows"] == seen
    assert done.record.summary["overlap_share"] == seen / 200  # the same division: exact
    assert "Train/validation overlap" in team.validation.html(done.record)
    found_met, detail = item(team, "data_leakage")
    assert found_met is met
    assert text in detail
    if not met:
        assert "the medium policy allows at most 1.00%" in detail
