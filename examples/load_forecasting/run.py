"""Electricity load forecasting, end to end: a summer-trained forecaster, a retraining
cadence, the season change to winter (temporal drift), late actuals, retraining.

    cd examples/load_forecasting && python run.py [--rows N] [--workdir DIR]

lena (data scientist) builds the forecaster, vera validates, otto runs operations. Time is
compressed: a week of forecasts is a monitoring window of a few seconds (modelward.yaml says
``window: 1w`` for production).
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
if str(HERE) not in sys.path:  # the project's own modules (grid_data, train)
    sys.path.insert(0, str(HERE))

import grid_data  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import train  # noqa: E402

from modelward.client import Client  # noqa: E402
from modelward.config import Settings  # noqa: E402
from modelward.project import Project, load_project  # noqa: E402

WEEK_SECONDS = 2  # one simulated week = one monitoring window of this many seconds
PEOPLE = {"lena": "data_scientist", "vera": "validator", "otto": "operations"}
CARD = {
    "intended_use": "Day-ahead hourly load of the regional grid, for unit commitment and"
    " energy purchases.",
    "limitations": "Trees do not extrapolate: temperatures outside the training range get the"
    " load of the nearest seen temperature. Retrain every four weeks and at season changes.",
    "training_data": "Hourly load with calendar and weather (grid_data.generate_load).",
}
SUMMER_START, WINTER_HISTORY_START, WINTER_WEEK_START = "2025-06-01", "2024-12-01", "2025-12-22"


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


def metrics(actual: Any, predicted: Any) -> tuple[float, float]:
    error = np.asarray(actual) - np.asarray(predicted)
    return float(np.abs(error).mean()), float(np.sqrt((error**2).mean()))


def run(workdir: Path, *, hours: int) -> dict[str, Any]:
    """Every step in a fresh workspace under `workdir`; returns the figures that decided them."""
    project = load_project(HERE / "modelward.yaml")
    team = Team(workdir / ".modelward")
    facts: dict[str, Any] = {"workspace": str(team.home)}
    try:
        for person, role in PEOPLE.items():
            team("admin").governance.add_user(person, [role])
        frames = make_data(hours)
        version = develop(team, project, frames, facts)
        release(team, project, version, facts, first=True)
        cadence(team, project, facts)
        forecasts = forecast_two_weeks(team, project, frames, workdir, facts)
        monitor(team, project, forecasts, frames, facts)
        retrain(team, project, frames, facts)
    finally:
        team.close()
    return facts


def make_data(hours: int) -> dict[str, pd.DataFrame]:
    history = grid_data.generate_load(SUMMER_START, hours, seed=1)
    holdout = history.sample(frac=0.25, random_state=0)
    frames = {
        "train": history.drop(holdout.index),
        "holdout": holdout,
        "summer_week": grid_data.generate_load("2025-08-18", 168, seed=2),
        "winter_history": grid_data.generate_load(WINTER_HISTORY_START, 90 * 24, seed=3),
        "winter_week": grid_data.generate_load(WINTER_WEEK_START, 168, seed=4),
    }
    temps = {k: frames[k]["temperature"].mean() for k in ("train", "winter_week")}
    print(
        f"1. Data: {hours:,} hours of history from {SUMMER_START} (mean {temps['train']:.1f} C);"
        f" to forecast: a week in August and the week of {WINTER_WEEK_START} (mean"
        f" {temps['winter_week']:.1f} C, Christmas holidays included)."
    )
    return frames


def develop(
    team: Team, project: Project, frames: dict[str, pd.DataFrame], facts: dict[str, Any]
) -> int:
    """Train, track, register; vera validates with the project's thresholds."""
    name, target = project.get("model"), project.get("target")
    features, lena = list(project.get("features")), team("lena")
    fit = frames["train"][[*features, target]]
    model = train.train(fit, target=target, params={})
    with lena.start_run("grid-load", name="gbr-summer") as run:
        run.log_params({"model": "GradientBoostingRegressor", "n_estimators": 150})
        run.log_dataset(fit, "train", role="training")
        run.log_model(model, "model", input_example=fit[features].head(5))
    version = lena.registry.register(run.id, name=name).version
    report = (
        team("vera")
        .validation.validate(
            f"models:/{name}/{version}",
            frames["holdout"][[*features, target]],
            target=target,
            config=project.section("validation"),
        )
        .report
    )
    mae, r2 = (report.find_check(f"performance.{m}").value for m in ("mae", "r2"))
    facts["validation_passed"] = report.passed
    facts["holdout_mae"] = mae
    failed = ", ".join(c.name for c in report.failed_checks)
    print(
        f"2. Develop: lena trains gradient-boosted trees and registers {name} v{version}; vera"
        f" validates on a random quarter of the history: MAE {mae:.1f} MW, R2 {r2:.3f},"
        f" {len(report.checks)} checks, {'all pass' if report.passed else 'FAILED: ' + failed}."
    )
    return version


def release(
    team: Team, project: Project, version: int, facts: dict[str, Any], *, first: bool
) -> None:
    """Risk (first time), card, review, the validator's sign-off, champion."""
    name, lena = project.get("model"), team("lena")
    if first:
        assessment = team("vera").governance.assess(
            name, answers=project.section("risk"), rationale="Automated, seasonal, internal."
        )
        facts["risk_level"] = assessment.level.value
        print(
            f"3. Assess: {int(assessment.likelihood)} x {int(assessment.severity)} ="
            f" {assessment.score}: {assessment.level.value} risk -> one validator signs off."
        )
    for field, text in CARD.items():
        lena.governance.set_card_field(name, version, field, text)
    lena.governance.request_review(name, version, comment="Ready for release.")
    team("vera").governance.approve(name, version, role="validator", comment="Report checked.")
    team("otto").registry.set_alias(name, "champion", version, reason="validator approved")
    facts["champion"] = version


def cadence(team: Team, project: Project, facts: dict[str, Any]) -> None:
    """The retraining cadence: policy.yaml's max model age, checked by `retrain --if-due`."""
    from modelward.client.retrain import retraining_due

    otto, name = team("otto"), project.get("model")
    champion = otto.registry.resolve(f"models:/{name}@champion")
    policy = otto.governance.policies.for_assessment(otto.governance.assessment(name))
    due_on = champion.created_at + timedelta(days=policy.max_model_age_days or 0)
    facts["max_model_age_days"] = policy.max_model_age_days
    facts["retraining_due_now"] = retraining_due(otto, name)
    print(
        f"4. Cadence: the project policy (policy.yaml) sets max model age"
        f" {policy.max_model_age_days} days for {policy.level} risk: retraining due now?"
        f" {facts['retraining_due_now']}; cron's 'modelward retrain {name} --if-due' retrains"
        f" from {due_on.date()}."
    )


def forecast_two_weeks(
    team: Team, project: Project, frames: dict[str, pd.DataFrame], workdir: Path,
    facts: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Deploy; forecast a summer week, then (a compressed season later) a winter week."""
    otto, name = team("otto"), project.get("model")
    deployment = project.section("deployment")
    otto.deployments.create(
        deployment["name"],
        model_uri=f"models:/{name}@champion",
        environment=deployment["environment"],
        reason="day-ahead forecasts",
    )
    features = list(project.get("features"))
    jobs, starts = {}, []
    for week in ("summer_week", "winter_week"):
        source = workdir / f"{week}.parquet"
        frames[week][["timestamp", *features]].to_parquet(source, index=False)
        starts.append(start_of_next_window(WEEK_SECONDS))
        result = otto.deployments.score(
            f"models:/{name}@champion",
            source,
            workdir / f"{week}-forecast.parquet",
            deployment=deployment["name"],
        )
        forecast = pd.read_parquet(result.output)
        jobs[week] = {"job_id": result.job_id, "forecast": forecast["prediction"].to_numpy()}
    end = starts[-1] + timedelta(seconds=WEEK_SECONDS)
    time.sleep(max(0.0, end.timestamp() - time.time()) + 0.1)  # the winter window completes
    facts["forecast_rows"] = sum(len(j["forecast"]) for j in jobs.values())
    summer, winter = (jobs[w]["forecast"].mean() for w in ("summer_week", "winter_week"))
    print(
        f"5. Forecast: otto deploys {deployment['name']}; the nightly batch forecasts a week in"
        f" August (mean {summer:.0f} MW) and, after the season change, the week of"
        f" {WINTER_WEEK_START} (mean {winter:.0f} MW); every forecast is logged."
    )
    return {"deployment": deployment["name"], "jobs": jobs, "starts": starts}


def monitor(
    team: Team, project: Project, forecasts: dict[str, Any], frames: dict[str, pd.DataFrame],
    facts: dict[str, Any],
) -> None:  # fmt: skip
    """Late actuals arrive (metered load, a day later); performance and drift per window."""
    if not _monitoring_available():
        print("6. Monitor: modelward.monitoring is not available; skipped.")
        facts["monitoring"] = {"available": False}
        return
    otto, deployment = team("otto"), forecasts["deployment"]
    actuals = pd.concat(
        pd.DataFrame(
            {
                "request_id": f"{job['job_id']}-000000",  # one chunk per batch: its request id
                "row": np.arange(len(job["forecast"])),
                "load_mw": frames[week][project.get("target")].to_numpy(),
            }
        )
        for week, job in forecasts["jobs"].items()
    )
    ingested = otto.monitoring.ingest_labels(
        deployment, actuals, id_column="request_id", label_column="load_mw", row_column="row"
    )
    result = otto.monitoring.run(deployment, window=timedelta(seconds=WEEK_SECONDS))
    by_start = {w.start: w for w in result.computed}
    weeks = [by_start[s] for s in forecasts["starts"]]
    perf = [{p.metric: p.value for p in w.performance} for w in weeks]
    temperature = next(p for p in weeks[1].drift if p.column == "temperature")
    kinds = sorted({f"{a.kind.value}:{a.subject}" for a in result.alerts})
    facts["monitoring"] = {
        "available": True,
        "labels_stored": ingested.stored,
        "mae": [p.get("mae") for p in perf],
        "rmse": [p.get("rmse") for p in perf],
        "summer_drifted": list(weeks[0].summary["drifted"]),
        "winter_drifted": list(weeks[1].summary["drifted"]),
        "temperature_effect_size": temperature.effect_size,
        "performance_alert": any(a.kind.value == "performance" for a in result.alerts),
        "alerts": kinds,
    }
    print(
        f"6. Monitor: {ingested.stored} late actuals ingested. August week: MAE"
        f" {perf[0]['mae']:.1f}, RMSE {perf[0]['rmse']:.1f} MW, drifted:"
        f" {', '.join(weeks[0].summary['drifted']) or 'nothing'}. Winter week: MAE"
        f" {perf[1]['mae']:.1f}, RMSE {perf[1]['rmse']:.1f} MW; drifted"
        f" {', '.join(weeks[1].summary['drifted'])} (temperature: {temperature.method}"
        f" {temperature.effect_size:.2f} >= {temperature.threshold}); alerts: {', '.join(kinds)}."
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
    """Retrain with winter data; validated out of time on the winter week; released."""
    if not facts["monitoring"].get("available"):
        return
    from modelward.client.retrain import retrain as run_retrain

    name, target = project.get("model"), project.get("target")
    features, lena, otto = list(project.get("features")), team("lena"), team("otto")
    winter = frames["winter_history"][[*features, target]]
    result = run_retrain(lena, name, data=winter, trigger="performance")
    report = lena.validation.latest(name, result.version).report
    if result.validation_passed:
        # The gate relies on evidence a validator stored: vera validates the retrained
        # version herself, out of time on the winter week it was not trained on.
        report = (
            team("vera")
            .validation.validate(
                f"models:/{name}/{result.version}",
                frames["winter_week"][[*features, target]],
                target=target,
                config=project.section("validation"),
            )
            .report
        )
    if not result.validation_passed or not report.passed:
        failed = ", ".join(c.name for c in report.failed_checks)
        raise SystemExit(f"The retrained v{result.version} failed validation ({failed}).")
    if result.outcome == "review_requested":
        release(team, project, result.version, facts, first=False)
    deployment = project.section("deployment")["name"]
    otto.deployments.set_challenger(deployment, result.version, strategy="canary", share=0.2)
    live = otto.deployments.promote(deployment, reason="winter retrain approved")
    mae = report.find_check("performance.mae").value
    facts["retrain"] = {
        "version": result.version,
        "outcome": result.outcome,
        "validation_passed": result.validation_passed,
        "winter_mae": mae,
        "serving": live.config.champion,
    }
    print(
        f"7. Retrain (trigger: performance): v{result.version} trained on {result.train_rows}"
        f" rows (the labelled August log + last winter's metered load), validated out of time"
        f" on the"
        f" {result.validation_rows} labelled winter hours against the champion: MAE {mae:.1f} MW;"
        f" {result.outcome.replace('_', ' ')}; vera"
        f" signs off, champion moves, {deployment} now serves v{live.config.champion}."
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=24 * 78, help="hours of summer history")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp folder")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modelward-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with contextlib.chdir(HERE):  # modelward.yaml and policy.yaml are read from here
        facts = run(workdir.resolve(), hours=args.rows)
    print(f"Done in {time.perf_counter() - started:.1f} s. Explore the workspace with:")
    print(f"  MODELWARD_HOME={facts['workspace']} modelward monitor status grid-load-dayahead")
    return facts


if __name__ == "__main__":
    main()
