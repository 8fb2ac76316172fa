"""The offer recommender, end to end: train, validate, assess (low risk), automatic
promotion, nightly batch scoring on Dask, offer-mix monitoring, and the kill switch.

    cd examples/recommender && python run.py [--rows N] [--workdir DIR]

Time is compressed: each "night" is a monitoring window of a few seconds instead of a day
(modelward.yaml says ``window: 1d`` for production), so the run takes seconds, not days.
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
if str(HERE) not in sys.path:  # the project's own modules (customers, train, nightly)
    sys.path.insert(0, str(HERE))

import customers  # noqa: E402
import httpx  # noqa: E402
import nightly  # noqa: E402
import train  # noqa: E402

from modelward.client import Client  # noqa: E402
from modelward.config import Settings  # noqa: E402
from modelward.project import load_project  # noqa: E402

NIGHT_SECONDS = 2  # one simulated night = one monitoring window of this many seconds
MODEL_CARD = {
    "intended_use": "Pick one of four marketing offers per customer for the nightly campaign"
    " list, which the campaign team reviews before sending.",
}


def start_of_next_window(seconds: int) -> datetime:
    """Sleep until the next epoch-aligned window of `seconds` starts; return its start."""
    now = time.time()
    start = (now // seconds + 1) * seconds
    time.sleep(start - now + 0.05)
    return datetime.fromtimestamp(start, UTC)


def run(workdir: Path, *, rows: int) -> dict[str, Any]:
    """Every step in a fresh workspace under `workdir`; returns the figures that decided them."""
    project = load_project(HERE / "modelward.yaml")
    name, target = project.get("model"), project.get("target")
    features = list(project.get("features"))
    deployment = project.section("deployment")
    facts: dict[str, Any] = {"workspace": str(workdir / ".modelward")}
    # No user is registered, so the workspace is single-user and mia holds every role.
    client = Client(Settings(home=workdir / ".modelward", user="mia"))
    try:
        # 1. data
        history = customers.generate_customers(rows, seed=1)
        split = int(rows * 0.75)
        fit, holdout = history.iloc[:split], history.iloc[split:]
        nights = {
            "night-1": customers.generate_customers(rows // 2, seed=2),
            "night-2": customers.generate_customers(rows // 2, seed=3, period="summer"),
        }
        files = {}
        for night, frame in nights.items():
            files[night] = workdir / f"{night}-customers.parquet"
            frame[["customer_id", *features]].to_parquet(files[night], index=False)
        mix = history[target].value_counts(normalize=True)
        print(
            f"1. Data: {rows:,} past campaign responses ({split:,} to train); offers taken:"
            f" {', '.join(f'{k} {v:.0%}' for k, v in mix.items())}."
        )

        # 2. train and register
        model = train.train(fit[[*features, target]], target=target, params={"C": 1.0})
        accuracy = float((model.predict(holdout[features]) == holdout[target]).mean())
        with client.start_run("offer-recommender", name="multinomial-logistic") as run:
            run.log_params({"C": 1.0, "model": "multinomial logistic regression"})
            run.log_dataset(fit[[*features, target]], "train", role="training")
            run.log_metric("holdout_accuracy", accuracy)
            run.log_model(model, "model", input_example=fit[features].head(5))
        version = client.registry.register(run.id, name=name).version
        print(
            f"2. Train: holdout accuracy {accuracy:.3f} (4 offers); registered {name} v{version}."
        )

        # 3. validate with the project's thresholds
        report = client.validation.validate(
            f"models:/{name}/{version}",
            holdout[[*features, target]],
            target=target,
            config=project.section("validation"),
        ).report
        auc = report.find_check("performance.roc_auc")
        facts["validation_passed"] = report.passed
        print(
            f"3. Validate: {len(report.checks)} checks, {'all pass' if report.passed else 'FAIL'};"
            f" ROC AUC (one vs rest) {auc.value:.3f} >= {auc.threshold}."
        )
        if not report.passed:
            failed = ", ".join(f"{c.name} {c.value}" for c in report.failed_checks)
            raise SystemExit(f"Validation failed ({failed}); nothing is promoted.")

        # 4. risk and automatic promotion
        assessment = client.governance.assess(
            name, answers=project.section("risk"), rationale="Reviewed campaign list, low cost."
        )
        for field, text in MODEL_CARD.items():
            client.governance.set_card_field(name, version, field, text)
        _, event = client.governance.request_review(name, version, comment="First version.")
        facts["risk_level"] = assessment.level.value
        facts["auto_promoted"] = event is not None
        champion = client.registry.resolve(f"models:/{name}@champion").version
        facts["champion"] = champion
        print(
            f"4. Govern: risk {int(assessment.likelihood)} x {int(assessment.severity)} ="
            f" {assessment.score}, [{assessment.level.value}]; the low-risk policy needs no"
            f" sign-off, so requesting a review promoted v{champion} to champion automatically."
        )

        # 5. deploy and score two nights on Dask
        client.deployments.create(
            deployment["name"],
            model_uri=f"models:/{name}@champion",
            environment=deployment["environment"],
            reason="nightly campaign scoring",
        )
        starts, results = [], {}
        for night, source in files.items():
            starts.append(start_of_next_window(NIGHT_SECONDS))
            results[night] = nightly.run_night(
                client, deployment["name"], source, workdir / f"{night}-offers"
            )
        facts["nights"] = {n: r.offer_mix for n, r in results.items()}
        facts["rows_scored"] = sum(r.rows for r in results.values())
        for night, result in results.items():
            shares = ", ".join(f"{k} {v:.0%}" for k, v in result.offer_mix.items())
            print(f"5. Nightly batch on Dask, {night}: {result.rows:,} customers -> {shares}.")
        logged = client.deployments.read_predictions(deployment["name"])
        facts["rows_logged"] = len(logged)

        # 6. monitor the offer mix: night 2 against night 1
        night_end = starts[-1] + timedelta(seconds=NIGHT_SECONDS)
        time.sleep(max(0.0, night_end.timestamp() - time.time()) + 0.1)  # the window completes
        facts["monitoring"] = monitor(client, deployment["name"], starts)

        # 7. the kill switch
        facts["kill_switch"] = kill_switch(client, deployment, files["night-1"], workdir)
        facts["audit_ok"] = client.governance.verify_audit().ok
    finally:
        client.close()
    return facts


def monitor(client: Client, deployment: str, starts: list[datetime]) -> dict[str, Any]:
    """Prediction drift of the offer mix between the two nights (night 1 is the reference)."""
    if not _monitoring_available():
        print("6. Monitor: modelward.monitoring is not available; skipped.")
        return {"available": False}
    size = timedelta(seconds=NIGHT_SECONDS)
    result = client.monitoring.run(
        deployment, window=size, reference_window=(starts[0], starts[0] + size)
    )
    by_start = {w.start: w for w in result.computed}
    night2 = by_start[starts[1]]
    point = next(p for p in night2.drift if p.target == "prediction")
    alerts = [a.subject for a in result.alerts if a.window_start == starts[1]]
    print(
        f"6. Monitor: {len(result.computed)} windows; night 2's offer mix against night 1's:"
        f" {point.method} {point.effect_size:.3f} (threshold {point.threshold}) ->"
        f" {'DRIFTED' if point.drifted else 'stable'}; alerts: {', '.join(alerts) or 'none'}."
    )
    return {
        "available": True,
        "windows": len(result.computed),
        "prediction_drifted": bool(night2.summary.get("prediction_drifted")),
        "prediction_effect_size": point.effect_size,
        "night1_drifted": by_start[starts[0]].summary.get("prediction_drifted"),
        "alerts": alerts,
    }


def _monitoring_available() -> bool:
    try:
        import modelward.monitoring.service  # noqa: F401
    except ImportError:
        return False
    return True


def kill_switch(
    client: Client, deployment: dict[str, Any], customers_file: Path, workdir: Path
) -> dict[str, Any]:
    """Kill the deployment: the scoring service answers 503, then the fallback offer; the
    nightly job writes the fallback instead of scoring; revive."""
    from modelward.server.inthread import serve_in_thread
    from modelward.server.scoring import create_scoring_app

    name = deployment["name"]
    record = customers.generate_customers(1, seed=9)[_features(client, name)].to_dict("records")
    out: dict[str, Any] = {}
    app = create_scoring_app(name, settings=client.settings, poll_seconds=0.1)
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        out["live_status"] = http.post("/predict", json=record).status_code
        client.deployments.kill(name, reason="offer engine sends wrong prices")
        out["killed_status"] = _wait_for(http, record, lambda r: r.status_code == 503)
        client.deployments.kill(name, fallback=deployment["fallback"], reason="safe default")
        answer = _wait_for_answer(http, record, lambda b: b.get("arm") == "fallback")
        out["fallback_answer"] = answer["predictions"][0]
        night = nightly.run_night(client, name, customers_file, workdir / "killed-night-offers")
        out["batch_scored_while_killed"] = night.scored
        client.deployments.revive(name, reason="prices fixed")
        out["revived_arm"] = _wait_for_answer(http, record, lambda b: b.get("arm") == "champion")[
            "arm"
        ]
    print(
        f"7. Kill switch: live answer {out['live_status']}; killed -> {out['killed_status']}"
        f" (deployment_disabled); with fallback -> 200 offering {out['fallback_answer']!r} to"
        " everyone; the nightly job wrote the fallback instead of scoring; revived -> the"
        f" {out['revived_arm']} answers again."
    )
    return out


def _features(client: Client, deployment: str) -> list[str]:
    live = client.deployments.get(deployment)
    version = client.registry.get_version(live.model, live.config.champion)
    return [str(c["name"]) for c in version.signature["columns"]]


def _wait_for(http: httpx.Client, record: Any, done: Any, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        response = http.post("/predict", json=record)
        if done(response) or time.monotonic() > deadline:
            return response.status_code
        time.sleep(0.1)


def _wait_for_answer(http: httpx.Client, record: Any, done: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        response = http.post("/predict", json=record)
        body = response.json()
        if (response.status_code == 200 and done(body)) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6000, help="past campaign responses")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp folder")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modelward-recommender-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with contextlib.chdir(HERE):  # modelward.yaml is read from the project folder
        facts = run(workdir.resolve(), rows=args.rows)
    print(f"Done in {time.perf_counter() - started:.1f} s. Explore the workspace with:")
    print(f"  MODELWARD_HOME={facts['workspace']} modelward deploy show offers-nightly")
    return facts


if __name__ == "__main__":
    main()
