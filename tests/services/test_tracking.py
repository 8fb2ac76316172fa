"""Tracking through the client, on SQLite and PostgreSQL."""

from pathlib import Path

import pandas as pd
import pytest

from modelward.client import Client
from modelward.domain.tracking import RunStatus
from modelward.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from tests.builders import applicants


def test_run_records_params_metrics_tags_and_source(client: Client) -> None:
    with client.start_run("credit", name="baseline", tags={"team": "risk"}) as run:
        run.log_params({"C": 1.0, "penalty": "l2"})
        for step in range(5):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_metric("auc", 0.9)
    stored = client.tracking.get_run(run.id)
    assert stored.status is RunStatus.FINISHED and stored.end_time is not None
    assert stored.params == {"C": "1.0", "penalty": "l2"}
    assert stored.metrics == {"loss": pytest.approx(0.2), "auc": 0.9}
    assert stored.tags == {"team": "risk"}
    assert stored.user == "alice" and stored.experiment == "credit"
    assert stored.environment_id is not None
    history = client.tracking.metric_history(run.id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]


def test_latest_metric_is_the_highest_step_not_the_last_logged(client: Client) -> None:
    with client.start_run("credit") as run:
        run.log_metric("loss", 0.1, step=10)
        run.flush()
        run.log_metric("loss", 0.9, step=2)
    assert client.tracking.get_run(run.id).metrics["loss"] == 0.1


def test_relogging_a_param_with_another_value_is_a_conflict(client: Client) -> None:
    with client.start_run("credit") as run:
        run.log_param("C", 1.0)
        run.log_param("C", 1.0)  # same value: fine
        with pytest.raises(Conflict, match="'C'"):
            run.log_param("C", 2.0)
        # a batch with a conflicting param writes nothing, not even its new keys
        run.flush()
        with pytest.raises(Conflict, match="'C'"):
            client.tracking.log_batch(run.id, params={"E": "5", "C": "3.0"})
        assert "E" not in client.tracking.get_run(run.id).params
    # an ended run is a record: nothing more is written to it, not even a new param
    with pytest.raises(Conflict, match="FINISHED"):
        client.tracking.log_batch(run.id, params={"D": "3"})


def test_failed_block_marks_run_failed_and_keeps_what_was_logged(client: Client) -> None:
    with pytest.raises(RuntimeError), client.start_run("credit") as run:
        run.log_metric("loss", 0.5)
        raise RuntimeError("training crashed")
    stored = client.tracking.get_run(run.id)
    assert stored.status is RunStatus.FAILED
    assert stored.metrics == {"loss": 0.5}


def test_a_run_ends_once(client: Client) -> None:
    with client.start_run("credit") as run:
        pass
    with pytest.raises(InvalidTransition, match="only end once"):
        client.tracking.end_run(run.id)


def test_nested_runs_record_their_parent(client: Client) -> None:
    with client.start_run("tuning") as parent, client.start_run("tuning") as child:
        pass
    assert client.tracking.get_run(child.id).parent_run_id == parent.id


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        pytest.param(lambda r: r.log_metric("auc", float("nan")), "finite", id="nan-metric"),
        pytest.param(lambda r: r.log_metric("", 1.0), "key", id="empty-key"),
        pytest.param(lambda r: r.log_param("C", float("inf")), "finite", id="inf-param"),
    ],
)
def test_bad_values_are_refused_at_the_call(client: Client, call, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with client.start_run("credit") as run:
        with pytest.raises(InvalidInput, match=fragment):
            call(run)


def test_unknown_run_and_experiment_are_not_found(client: Client) -> None:
    with pytest.raises(NotFound, match="nope"):
        client.tracking.get_run("nope")
    with pytest.raises(NotFound, match="ghost"):
        client.tracking.search_runs(experiments=["ghost"])


def test_datasets_fingerprint_profile_and_dedupe(client: Client, tmp_path: Path) -> None:
    frame = applicants(300)
    parquet = tmp_path / "train.parquet"
    frame.to_parquet(parquet, index=False)
    with client.start_run("credit") as first:
        ref = first.log_dataset(frame, "train", role="training")
    with client.start_run("credit") as second:
        again = second.log_dataset(str(parquet), "train", role="training")
        second.log_dataset(frame.head(10), "sample", role="evaluation")
    assert again.dataset_id == ref.dataset_id, "the same data logged twice is one dataset"
    assert ref.row_count == 300
    income = ref.profile["columns"]["income"]
    assert income["kind"] == "numeric"
    assert income["mean"] == pytest.approx(frame["income"].mean())
    assert income["quantiles"]["0.5"] == pytest.approx(frame["income"].median())
    assert sum(income["histogram"]["counts"]) == 300
    assert ref.profile["columns"]["region"]["top"] == frame["region"].value_counts().to_dict()
    stored = client.tracking.get_run(second.id)
    assert {d.name: d.role for d in stored.datasets} == {
        "sample": "evaluation",
        "train": "training",
    }
    assert stored.datasets[1].source == str(parquet)
    sample = pd.read_parquet(
        __import__("io").BytesIO(
            client.backend.artifacts.get_bytes(stored.datasets[1].sample_sha256)
        )
    )
    assert len(sample) == 300


def test_bad_dataset_input_is_refused(client: Client, tmp_path: Path) -> None:
    with client.start_run("credit") as run:
        with pytest.raises(InvalidInput, match="does not exist"):
            run.log_dataset(str(tmp_path / "missing.csv"), "train")
        with pytest.raises(InvalidInput, match="DataFrame"):
            run.log_dataset(42, "train")


def _make_runs(client: Client) -> dict[str, str]:
    ids = {}
    for name, auc, c in [
        ("a", 0.70, "0.1"),
        ("b", 0.85, "1.0"),
        ("c", 0.92, "1.0"),
        ("d", 0.60, "10"),
    ]:
        with client.start_run(
            "search", name=name, tags={"kind": "lr" if c != "10" else "rf"}
        ) as run:
            run.log_param("C", c)
            run.log_metric("auc", auc)
        ids[name] = run.id
    with client.start_run("other", name="e") as run:
        run.log_metric("auc", 0.99)
    ids["e"] = run.id
    return ids


@pytest.mark.parametrize(
    ("filter", "order", "expected"),
    [
        pytest.param(
            "metrics.auc > 0.8 and params.C = '1.0'",
            ["metrics.auc DESC"],
            ["c", "b"],
            id="metric-and-param",
        ),
        pytest.param(
            "metrics.auc > 0.8 and params.C = 1.0",
            ["metrics.auc ASC"],
            ["b", "c"],
            id="unquoted-param",
        ),
        pytest.param(
            "params.C = '10' or metrics.auc < 0.75", ["attributes.run_name"], ["a", "d"], id="or"
        ),
        pytest.param("tags.kind = 'rf'", [], ["d"], id="tag"),
        pytest.param("attributes.run_name LIKE 'a%'", [], ["a"], id="attribute-like"),
        pytest.param(
            "attributes.status = 'FINISHED'",
            ["metrics.auc DESC"],
            ["c", "b", "a", "d"],
            id="status",
        ),
        pytest.param("params.C IN ('0.1', '10')", ["metrics.auc"], ["d", "a"], id="in"),
    ],
)
def test_search_runs(client: Client, filter: str, order: list[str], expected: list[str]) -> None:
    _make_runs(client)
    found = client.tracking.search_runs(experiments=["search"], filter=filter, order_by=order)
    assert [r.name for r in found] == expected


def test_search_across_experiments_and_limit(client: Client) -> None:
    _make_runs(client)
    top = client.tracking.search_runs(order_by=["metrics.auc DESC"], limit=2)
    assert [r.name for r in top] == ["e", "c"]
    assert top[0].metrics == {"auc": 0.99}


def test_diff_runs_highlights_differences(client: Client) -> None:
    ids = _make_runs(client)
    diff = client.tracking.diff_runs(ids["a"], ids["b"])
    params = {k: (a, b, d) for k, a, b, d in diff.sections["params"]}
    assert params["C"] == ("0.1", "1.0", True)
    metrics = {k: d for k, _, _, d in diff.sections["metrics"]}
    assert metrics == {"auc": True}
    assert all(not d for *_, d in diff.sections["environment"]), "same process, same environment"


def test_metric_values_keep_full_double_precision(client: Client) -> None:
    values = {"third": 1 / 3, "tiny": 2**-40, "huge": 1e300, "long": 123456789.12345679}
    with client.start_run("precision", name="p") as run:
        run.log_metrics(values)
    assert client.tracking.get_run(run.id).metrics == values
    (found,) = client.tracking.search_runs(experiments=["precision"])
    assert found.metrics == values
