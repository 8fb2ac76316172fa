"""The consumer-credit model as a project, end to end: register -> validate -> assess ->
sign-offs -> promote -> deploy -> score -> monitor -> retrain.

    cd examples/credit_risk && python run.py [--rows N] [--workdir DIR]

Four people share one workspace, each with their own client, so every action is attributed:
dana (data scientist) builds models, victor validates, rita is the risk manager, omar runs
operations. Time is compressed: a "day" of traffic is a monitoring window of a few seconds
(modelward.yaml says ``window: 1d`` for production).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the project's training module
    sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
import pandas as pd  # noqa: E402
import train  # noqa: E402

from modelward.client import Client  # noqa: E402
from modelward.config import Settings  # noqa: E402
from modelward.demo.credit_data import generate_applicants  # noqa: E402
from modelward.errors import PolicyViolation  # noqa: E402
from modelward.project import Project, load_project  # noqa: E402

DAY_SECONDS = 2  # one simulated day = one monitoring window of this many seconds
PEOPLE = {"dana": "data_scientist", "victor": "validator", "rita": "risk_manager",
          "omar": "operations"}  # fmt: skip
PERSONAL = ("gender", "age", "income")  # personal data in the training set, with a legal basis
LEGAL_BASIS = "contract"  # GDPR Art. 6(1)(b): one of the closed list of Art. 6 bases
CARD = {
    "intended_use": "Probability that a consumer loan application defaults within its term;"
    " used to approve, price or refer applications to a human underwriter.",
    "limitations": "One lender's applications; not for business loans or mortgages;"
    " recalibrate after economic shocks.",
    "training_data": "Synthetic applications (modelward.demo.credit_data); gender is not a"
    " feature.",
    "ethical_considerations": "Historical labels are biased against women; the model excludes"
    " gender and is checked for demographic parity at every validation.",
}


class Team:
    """One client per person over one workspace."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._clients: dict[str, Client] = {}

    def __call__(self, person: str) -> Client:
        if person not in self._clients:
            self._clients[person] = Client(Settings(home=self.home, user=person))
        return self._clients[person]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def start_of_next_window(seconds: int) -> datetime:
    """Sleep until the next epoch-aligned window of `seconds` starts; return its start."""
    now = time.time()
    start = (now // seconds + 1) * seconds
    time.sleep(start - now + 0.05)
    return datetime.fromtimestamp(start, UTC)


def run(workdir: Path, *, rows: int) -> dict[str, Any]:
    """Every step in a fresh workspace under `workdir`; returns the figures that decided them."""
    project = load_project(HERE / "modelward.yaml")
    team = Team(workdir / ".modelward")
    facts: dict[str, Any] = {"workspace": str(team.home)}
    try:
        for person, role in PEOPLE.items():
            team("admin").governance.add_user(person, [role])
        frames = make_data(rows)
        version = develop(team, project, frames, facts)
        approve_and_promote(team, project, version, frames, facts)
        traffic = deploy_and_score(team, project, frames, facts)
        monitor(team, project, traffic, facts)
        retrain(team, project, frames, facts)
        result = team("rita").governance.verify_audit()
        facts["audit_ok"] = result.ok
        print(f"9. Audit: {result.checked} events, chain {'intact' if result.ok else 'BROKEN'}.")
    finally:
        team.close()
    return facts


def make_data(rows: int) -> dict[str, pd.DataFrame]:
    reference = generate_applicants(rows, seed=1)
    split = int(rows * 0.6)
    frames = {
        "train": reference.iloc[:split],
        "holdout": reference.iloc[split:],
        "later": generate_applicants(max(rows // 2, 600), seed=2, period="drifted"),
    }
    rates = reference.groupby("gender")["default"].mean()
    print(
        f"1. Data: {rows:,} applications ({split:,} to train), {len(frames['later']):,} from a"
        f" later, drifted period. Recorded default rate: women {rates['F']:.1%}, men"
        f" {rates['M']:.1%} (a planted bias in the historical labels)."
    )
    return frames


def develop(
    team: Team, project: Project, frames: dict[str, pd.DataFrame], facts: dict[str, Any]
) -> int:
    """Train with train.train, track the run, register, validate with the project's thresholds."""
    features, target = list(project.get("features")), project.get("target")
    name, dana = project.get("model"), team("dana")
    fit = frames["train"][[*features, target]]
    model = train.train(fit, target=target, params={})
    with dana.start_run("credit-risk", name="logistic-no-gender") as run:
        run.log_params({"model": "LogisticRegression", "uses_gender": False})
        run.log_dataset(frames["train"], "train", role="training")
        run.log_model(model, "model", input_example=fit[features].head(5))
    version = dana.registry.register(run.id, name=name).version
    report = (
        team("victor")
        .validation.validate(
            f"models:/{name}/{version}",
            frames["holdout"],
            target=target,
            sensitive=project.sensitive(),
            config=project.section("validation"),
        )
        .report
    )
    auc = report.find_check("performance.roc_auc")
    parity = report.find_check("fairness.demographic_parity_difference[gender]")
    facts["validation_passed"] = report.passed
    verdict = (
        "all pass"
        if report.passed
        else "FAILED: " + ", ".join(c.name for c in report.failed_checks)
    )
    print(
        f"2. Develop: dana trains and registers {name} v{version}. victor validates it: ROC AUC"
        f" {auc.value:.3f}, demographic parity difference by gender {parity.value:.3f} (limit"
        f" {parity.threshold}); {len(report.checks)} checks,"
        f" {verdict}."
    )
    return version


def approve_and_promote(
    team: Team, project: Project, version: int, frames: dict[str, pd.DataFrame],
    facts: dict[str, Any],
) -> None:  # fmt: skip
    """Assess risk, tag personal data, fill the card, sign off, promote to champion."""
    name, rita, dana = project.get("model"), team("rita"), team("dana")
    assessment = rita.governance.assess(
        name, answers=project.section("risk"), rationale="Automated credit decisions."
    )
    facts["risk_level"] = assessment.level.value
    tag_personal_data(team, name, version)
    missing = _gate_missing(team("omar"), name, version)
    for field, text in CARD.items():
        dana.governance.set_card_field(name, version, field, text)
    dana.governance.request_review(name, version, comment="First release; fairness passes.")
    team("victor").governance.approve(name, version, role="validator", comment="Report checked.")
    rita.governance.approve(name, version, role="risk_manager", comment="Within risk appetite.")
    event = team("omar").registry.set_alias(name, "champion", version, reason="approved")
    facts["champion"] = event.version
    print(
        f"3. Assess: rita's questionnaire gives {int(assessment.likelihood)} x"
        f" {int(assessment.severity)} = {assessment.score}: {assessment.level.value} risk."
        f" Before sign-off the gate lists {len(missing)} unmet items ({', '.join(missing[:3])}"
        " ...)."
    )
    print(
        f"4. Approve: dana fills the model card and asks for review; victor (validator) and rita"
        f" (risk manager) approve; omar moves champion to v{event.version} through the gate."
    )


def tag_personal_data(team: Team, name: str, version: int) -> None:
    rita = team("rita")
    run = rita.tracking.get_run(rita.registry.get_version(name, version).run_id or "")
    for dataset in run.datasets:
        for column in (c for c in PERSONAL if c in dataset.schema):
            rita.governance.tag_column(
                dataset.dataset_id, column, personal=True, legal_basis=LEGAL_BASIS
            )


def _gate_missing(client: Client, name: str, version: int) -> list[str]:
    try:
        client.governance.check_promotion(name, version)
    except PolicyViolation as exc:
        return [str(item) for item in exc.details.get("missing", [])]
    return []


def deploy_and_score(
    team: Team, project: Project, frames: dict[str, pd.DataFrame], facts: dict[str, Any]
) -> dict[str, Any]:
    """Deploy the champion; send a day of normal and a day of drifted applications."""
    from modelward.server.inthread import serve_in_thread
    from modelward.server.scoring import create_scoring_app

    omar, name = team("omar"), project.get("model")
    deployment = project.section("deployment")
    omar.deployments.create(
        deployment["name"],
        model_uri=f"models:/{name}@champion",
        environment=deployment["environment"],
        reason="first release",
    )
    omar.data.protect(
        deployment["name"],
        legal_basis="6(1)(b)",
        retention_days=365,
        personal_columns=[],
        note="the log feeds retraining and drift checks, so its inputs stay in clear (keyed"
        " pseudonyms would train the model on hashes); kept one year",
    )
    per_day = min(len(frames["holdout"]), len(frames["later"]), 600)
    days = {"day-1": frames["holdout"].head(per_day), "day-2": frames["later"].head(per_day)}
    features = list(project.get("features"))
    settings = omar.settings.model_copy(update={"predictions_flush_seconds": 0.2})
    app = create_scoring_app(deployment["name"], settings=settings)
    labels, context, starts, approved = [], [], [], {}
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        for day, frame in days.items():
            starts.append(start_of_next_window(DAY_SECONDS))
            answers = 0
            for first in range(0, len(frame), 25):  # 25 applications per request
                part = frame.iloc[first : first + 25]
                body = http.post("/predict", json=part[features].to_dict("records")).json()
                approved[day] = approved.get(day, 0) + sum(p == 0 for p in body["predictions"])
                answers += len(body["predictions"])
                labels += [
                    {"request_id": body["request_id"], "row": i, "label": int(y)}
                    for i, y in enumerate(part[project.get("target")])
                ]
                # gender is never sent to the model: it travels in the protected context
                context += [
                    {"request_id": body["request_id"], "row": i, "gender": g}
                    for i, g in enumerate(part["gender"])
                ]
    facts["requests_answered"] = len(labels)
    print(
        f"5. Deploy and score: omar deploys {deployment['name']} ({deployment['environment']});"
        f" {len(labels):,} applications scored over two days in requests of 25, predicted"
        f" non-default {approved['day-1'] / per_day:.0%} on day 1 and"
        f" {approved['day-2'] / per_day:.0%} on day 2; every prediction is logged."
    )
    end = starts[-1] + timedelta(seconds=DAY_SECONDS)
    time.sleep(max(0.0, end.timestamp() - time.time()) + 0.1)  # day 2's window completes
    return {"deployment": deployment["name"], "labels": pd.DataFrame(labels),
            "context": pd.DataFrame(context), "starts": starts}  # fmt: skip


def monitor(team: Team, project: Project, traffic: dict[str, Any], facts: dict[str, Any]) -> None:
    """Late labels arrive; monitoring finds the drift of day 2 and judges performance."""
    if not _monitoring_available():
        print("6. Monitor: modelward.monitoring is not available; skipped.")
        facts["monitoring"] = {"available": False}
        return
    omar, name = team("omar"), traffic["deployment"]
    ingested = omar.monitoring.ingest_labels(
        name, traffic["labels"], id_column="request_id", row_column="row"
    )
    # victor (validator) holds the protected_data permission: he sends the applicants' gender
    # in its own channel, so each window's fairness is judged as at validation
    team("victor").monitoring.ingest_context(
        name, traffic["context"], id_column="request_id", row_column="row"
    )
    result = omar.monitoring.run(name, window=timedelta(seconds=DAY_SECONDS))
    by_start = {w.start: w for w in result.computed}
    day1, day2 = (by_start[s] for s in traffic["starts"])
    auc = [next((p.value for p in w.performance if p.metric == "roc_auc"), None)
           for w in (day1, day2)]  # fmt: skip
    facts["monitoring"] = {
        "available": True,
        "labels_stored": ingested.stored,
        "day1_drifted": list(day1.summary["drifted"]),
        "day2_drifted": list(day2.summary["drifted"]),
        "alerts": sorted({a.subject for a in result.alerts}),
        "roc_auc": auc,
        "fairness": {
            str(r["window_start"]): r["value"]
            for r in omar.monitoring.figures(name)
            if r["name"] == "fairness.demographic_parity_difference[gender]"
        },
    }
    print(
        f"6. Monitor: {ingested.stored:,} late labels stored. Day 1: drifted"
        f" {', '.join(day1.summary['drifted']) or 'nothing'}, ROC AUC {auc[0]:.3f}. Day 2 (the"
        f" recession): drifted {', '.join(day2.summary['drifted'])}; ROC AUC {auc[1]:.3f};"
        f" {len(result.alerts)} alerts raised."
    )


def _monitoring_available() -> bool:
    try:
        import modelward.monitoring.service  # noqa: F401
    except ImportError:
        return False
    return True


def retrain(
    team: Team, project: Project, frames: dict[str, pd.DataFrame], facts: dict[str, Any]
) -> None:
    """Retrain on recent labelled data; validate; the high-risk gate asks for sign-offs."""
    if not facts.get("monitoring", {}).get("available"):
        return
    from modelward.client.retrain import retrain as run_retrain

    name, target = project.get("model"), project.get("target")
    features = list(project.get("features"))
    dana, omar = team("dana"), team("omar")
    recent = generate_applicants(len(frames["later"]), seed=3, period="drifted")
    result = run_retrain(dana, name, data=recent[[*features, target]], trigger="drift")
    version = result.version
    # retrain validates with the project's sensitive list when the person retraining may read
    # the protected context; dana (data scientist) may not (separation of duties), and the
    # gate's evidence must be stored by a validator anyway: victor validates on fresh labelled
    # applications that carry gender
    fresh = generate_applicants(max(len(frames["holdout"]), 600), seed=4, period="drifted")
    report = team("victor").validation.validate(
        f"models:/{name}/{version}", fresh, target=target, sensitive=project.sensitive(),
        against="champion", config=project.section("validation"),
    ).report  # fmt: skip
    tag_personal_data(team, name, version)
    for field, text in CARD.items():
        dana.governance.set_card_field(name, version, field, text)
    team("victor").governance.approve(name, version, role="validator", comment="Retrain checked.")
    team("rita").governance.approve(name, version, role="risk_manager", comment="Approved.")
    omar.registry.set_alias(name, "champion", version, reason="retrained after the recession")
    deployment = project.section("deployment")["name"]
    omar.deployments.set_challenger(deployment, version, strategy="shadow", reason="shadow first")
    live = omar.deployments.promote(deployment, reason="validated and approved")
    facts["retrain"] = {
        "version": version,
        "outcome": result.outcome,
        "missing": result.missing,
        "revalidation_passed": report.passed,
        "serving": live.config.champion,
    }
    print(
        f"7. Retrain: the 'train: train:train' entry point trains v{version} on"
        f" {result.train_rows:,} rows (labelled log + recent data), validated on"
        f" {result.validation_rows:,} held-out labelled rows: {result.outcome.replace('_', ' ')}"
        f" ({len(result.missing)} items missing for a high-risk model)."
    )
    print(
        f"8. Release: victor re-validates v{version} with the sensitive attributes"
        f" ({'pass' if report.passed else 'FAIL'}); victor and rita sign off; champion moves;"
        f" omar shadows then promotes it in {deployment}, now serving v{live.config.champion}."
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000, help="reference applications")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp folder")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modelward-credit-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with contextlib.chdir(HERE):  # modelward.yaml is read from the project folder
        facts = run(workdir.resolve(), rows=args.rows)
    print(f"Done in {time.perf_counter() - started:.1f} s. Explore the workspace with:")
    print(f"  MODELWARD_HOME={facts['workspace']} modelward inventory")
    return facts


if __name__ == "__main__":
    main()
