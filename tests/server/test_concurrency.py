"""Many clients logging at once through the REST API lose nothing (PostgreSQL and SQLite)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from modelward.client import Client
from modelward.config import Settings
from modelward.server.app import create_app
from tests.server.conftest import make_team
from tests.serving.server import serve_in_thread

# A real uvicorn server in a thread: end to end, so slow.
pytestmark = pytest.mark.slow

CLIENTS, RUNS_EACH, STEPS = 8, 3, 200


def test_eight_clients_logging_at_once_lose_nothing(settings: Settings) -> None:
    team = make_team(settings)
    with serve_in_thread(create_app(settings)) as url:
        remote = settings.model_copy(
            update={"server_url": url, "token": team.tokens["alice"], "flush_interval": 0.05}
        )

        def work(worker: int) -> list[str]:
            client = Client(remote)
            ids = []
            for index in range(RUNS_EACH):
                with client.start_run("load", name=f"w{worker}-{index}") as run:
                    run.log_params({"worker": worker, "index": index})
                    for step in range(STEPS):
                        run.log_metric("loss", 1.0 / (step + 1), step=step)
                        run.log_metric("acc", step / STEPS, step=step)
                    run.set_tag("done", "yes")
                ids.append(run.id)
            client.close()
            return ids

        with ThreadPoolExecutor(CLIENTS) as pool:
            run_ids = [i for ids in pool.map(work, range(CLIENTS)) for i in ids]
        reader = Client(remote)
        runs = reader.tracking.search_runs(experiments=["load"], limit=1000)
        assert len(runs) == len(run_ids) == CLIENTS * RUNS_EACH
        assert {r.status.value for r in runs} == {"FINISHED"}
        assert all(r.tags.get("done") == "yes" and "worker" in r.params for r in runs)
        for run_id in run_ids:
            losses = reader.tracking.metric_history(run_id, "loss")
            assert [m.step for m in losses] == list(range(STEPS))
            assert len(reader.tracking.metric_history(run_id, "acc")) == STEPS
        reader.close()
