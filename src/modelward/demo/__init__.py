"""The main job (`make demo`, `modelward demo`): the lifecycle on an embedded SQLite workspace.

At this stage: train two scikit-learn models on a data set shipped with scikit-learn, track
both runs (params, metrics, train and test data, models), register the better one and give it
the alias `champion`, then print a summary.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

EXPERIMENT = "breast-cancer"
MODEL = "breast-cancer-classifier"


def _candidates() -> dict[str, tuple[object, dict[str, object]]]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "logistic-regression": (
            make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000)),
            {"model": "LogisticRegression", "C": 0.5, "scaler": "standard"},
        ),
        "random-forest": (
            RandomForestClassifier(n_estimators=200, max_depth=6, random_state=0, n_jobs=1),
            {"model": "RandomForestClassifier", "n_estimators": 200, "max_depth": 6},
        ),
    }


def run_demo(workdir: Path | None = None, *, console: Console | None = None) -> dict[str, object]:
    """Run the demo in `workdir` (a new temporary folder if None); return its figures."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split

    from modelward.client import Client
    from modelward.config import Settings

    console = console or Console()
    home = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="modelward-demo-"))
    # No protected alias yet: the demo has no validation report, so `champion` could not pass
    # the governance gate (docs/governance.md walks through promotion through the gate).
    settings = Settings(
        home=home / ".modelward", db_url=None, server_url=None, protected_aliases=""
    )
    client = Client(settings)
    console.print(f"[bold]modelward demo[/bold] in workspace {home / '.modelward'}")
    frame = load_breast_cancer(as_frame=True).frame
    features, target = frame.drop(columns=["target"]), frame["target"]
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=0.25, random_state=42, stratify=target
    )
    results: list[dict[str, object]] = []
    columns = [SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        for name, (estimator, params) in _candidates().items():
            task = progress.add_task(f"training {name}", total=None)
            with client.start_run(EXPERIMENT, name=name) as run:
                run.log_params(params)
                run.log_dataset(x_train.assign(target=y_train), "train", role="training")
                run.log_dataset(x_test.assign(target=y_test), "test", role="evaluation")
                estimator.fit(x_train, y_train)  # type: ignore[attr-defined]
                proba = estimator.predict_proba(x_test)[:, 1]  # type: ignore[attr-defined]
                pred = (proba >= 0.5).astype(int)
                metrics = {
                    "roc_auc": roc_auc_score(y_test, proba),
                    "accuracy": accuracy_score(y_test, pred),
                    "f1": f1_score(y_test, pred),
                    "log_loss": log_loss(y_test, proba),
                }
                run.log_metrics(metrics)
                run.log_model(estimator, "model", input_example=x_test.head(5))
            results.append({"name": name, "run_id": run.id, **metrics})
            progress.update(
                task,
                description=f"trained {name}: ROC AUC {metrics['roc_auc']:.4f}",
                completed=1,
                total=1,
            )
    best = max(results, key=lambda r: (r["roc_auc"], -float(r["log_loss"])))  # type: ignore[arg-type,operator]
    version = client.registry.register(str(best["run_id"]), "model", name=MODEL)
    client.registry.set_alias(
        MODEL,
        "champion",
        version.version,
        reason=f"best ROC AUC on the test set ({best['roc_auc']:.4f})",
    )
    loaded = client.registry.load_model(f"models:/{MODEL}@champion")
    check = float(roc_auc_score(y_test, loaded.predict_proba(x_test)[:, 1]))

    table = Table(title="Candidates (test set, 25% hold-out)")
    for col in ("run", "model", "ROC AUC", "accuracy", "F1", "log loss", ""):
        table.add_column(col)
    for r in results:
        table.add_row(
            str(r["run_id"])[:12],
            str(r["name"]),
            f"{r['roc_auc']:.4f}",
            f"{r['accuracy']:.4f}",
            f"{r['f1']:.4f}",
            f"{r['log_loss']:.4f}",
            "[green]champion[/green]" if r is best else "",
        )
    console.print(table)
    console.print(
        f"Registered [bold]{MODEL} v{version.version}[/bold] from run {str(best['run_id'])[:12]}"
        f" ({best['name']}) and gave it the alias [bold]champion[/bold]; reloaded from"
        f" models:/{MODEL}@champion it scores ROC AUC {check:.4f} on the test set."
    )
    console.print(f"Explore: MODELWARD_HOME={home / '.modelward'} modelward runs list")
    client.close()
    return {
        "home": str(home),
        "results": results,
        "champion": best["name"],
        "version": version.version,
        "reloaded_auc": check,
    }
