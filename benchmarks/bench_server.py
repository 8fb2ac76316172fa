"""Platform server benchmark: the inventory page and the API listings over 10,000 models, and
run logging through the REST API from 8 concurrent clients. Prints JSON.

    .venv/bin/python benchmarks/bench_server.py [--models 10000] [--clients 8] [--db-url URL]

A real uvicorn server runs in a thread over a fresh SQLite workspace (or --db-url, e.g. a
PostgreSQL database; its tables must be empty). Models are bulk-inserted with SQL (one
statement per table), since registering 10,000 models through the services is not the point.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.server.conftest import make_team  # noqa: E402
from tests.serving.server import serve_in_thread  # noqa: E402

from modelward.client import Client  # noqa: E402
from modelward.config import Settings  # noqa: E402
from modelward.server.app import create_app  # noqa: E402
from modelward.store.sql import tables  # noqa: E402
from modelward.store.sql.engine import make_engine  # noqa: E402


def _assessments(
    models: list[dict[str, Any]], ids: dict[str, int], rng: random.Random, now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for m in models:
        likelihood, severity = rng.randint(1, 5), rng.randint(1, 5)
        score = likelihood * severity
        level = "low" if score <= 3 else "medium" if score <= 9 else "high"
        level = "severe" if score >= 20 else level
        rows.append(
            {
                "model_id": ids[m["name"]],
                "likelihood": likelihood,
                "severity": severity,
                "level": level,
                "rationale": "",
                "answers": {},
                "assessed_by": "rita",
                "assessed_at": now,
                "expires_at": now + timedelta(days=365),
            }
        )
    return rows


def bulk_models(settings: Settings, count: int) -> float:
    """`count` models, each with one version and (for 2 in 3) a risk assessment; seconds."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    rng = random.Random(7)
    engine = make_engine(settings.resolved_db_url())
    with engine.begin() as conn:
        models = [
            {
                "name": f"model-{i:05d}",
                "description": "",
                "owner": rng.choice(["alice", "bob", "carol"]),
                "created_at": now,
                "updated_at": now,
            }
            for i in range(count)
        ]
        conn.execute(tables.registered_models.insert(), models)
        ids = dict(
            conn.execute(
                tables.registered_models.select().with_only_columns(
                    tables.registered_models.c.name, tables.registered_models.c.id
                )
            ).all()
        )
        versions = [
            {
                "model_id": ids[m["name"]],
                "version": 1,
                "run_id": None,
                "artifact_sha256": "0" * 64,
                "meta_sha256": "0" * 64,
                "flavor": "sklearn",
                "signature": {},
                "description": "",
                "created_by": m["owner"],
                "created_at": now,
            }
            for m in models
        ]
        conn.execute(tables.model_versions.insert(), versions)
        assessments = _assessments(models[: count * 2 // 3], ids, rng, now)
        conn.execute(tables.risk_assessments.insert(), assessments)
    engine.dispose()
    return time.perf_counter() - started


def timed(call: Any, repeat: int) -> dict[str, float]:
    """Latency statistics (ms) of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 1),
        "max_ms": round(samples[-1], 1),
    }


def listing(url: str, token: str, repeat: int) -> dict[str, Any]:
    """The inventory page (signed in) and the API listings, page by page."""
    with httpx.Client(base_url=url, timeout=120) as http:
        http.post("/login", data={"user": "alice", "token": token})
        api = {"Authorization": f"Bearer {token}"}
        return {
            "ui_inventory_page_1": timed(lambda: http.get("/"), repeat),
            "ui_inventory_search": timed(lambda: http.get("/", params={"q": "model-09"}), repeat),
            "ui_inventory_page_150": timed(lambda: http.get("/", params={"page": 150}), repeat),
            "api_inventory_page": timed(
                lambda: http.get(
                    "/api/v1/governance/inventory", params={"limit": 100}, headers=api
                ),
                repeat,
            ),
            "api_models_page": timed(
                lambda: http.get(
                    "/api/v1/models", params={"limit": 100, "offset": 5000}, headers=api
                ),
                repeat,
            ),
        }


def logging_load(
    settings: Settings, url: str, token: str, clients: int, runs: int, steps: int
) -> dict[str, Any]:
    """`clients` threads each logging `runs` runs of `steps` x 2 metrics through the API."""
    remote = settings.model_copy(update={"server_url": url, "token": token, "flush_interval": 0.2})

    def work(worker: int) -> int:
        client = Client(remote)
        for index in range(runs):
            with client.start_run("bench", name=f"w{worker}-{index}") as run:
                run.log_params({"worker": worker, "lr": 0.01})
                for step in range(steps):
                    run.log_metric("loss", 1 / (step + 1), step=step)
                    run.log_metric("acc", step / steps, step=step)
        client.close()
        return runs * steps * 2

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        logged = sum(pool.map(work, range(clients)))
    seconds = time.perf_counter() - started
    reader = Client(remote)
    stored = sum(
        len(reader.tracking.metric_history(r.id, key))
        for r in reader.tracking.search_runs(experiments=["bench"], limit=10_000)
        for key in ("loss", "acc")
    )
    reader.close()
    return {
        "clients": clients,
        "runs": clients * runs,
        "metrics_logged": logged,
        "metrics_stored": stored,
        "seconds": round(seconds, 2),
        "metrics_per_second": round(logged / seconds),
        "runs_per_second": round(clients * runs / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--db-url", default=None)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="mw-bench-server-")) / ".modelward"
    settings = Settings(home=home, db_url=args.db_url, user="alice", protected_aliases="champion")
    team = make_team(settings)
    seed_seconds = bulk_models(settings, args.models)
    with serve_in_thread(create_app(settings)) as url:
        result = {
            "models": args.models,
            "backend": settings.resolved_db_url().split(":", 1)[0],
            "bulk_insert_seconds": round(seed_seconds, 2),
            "listing": listing(url, team.tokens["alice"], args.repeat),
            "logging": logging_load(
                settings, url, team.tokens["alice"], args.clients, args.runs, args.steps
            ),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
