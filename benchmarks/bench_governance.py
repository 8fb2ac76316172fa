"""Governance at scale: the inventory of 10,000 models x 5 versions, and `audit verify` over
1,000,000 events.

Setup is bulk SQL (SQLAlchemy Core `executemany` over the store's tables), not 50,000
service calls: models, versions, current assessments (all four levels), a validation report
per newest version, `champion` on half the models (their alias history too), review requests
and sign-offs on a tenth; then a valid hash chain of 1,000,000 audit events built with
`domain.audit.chained` and inserted in batches.

Measured through the client, as a user runs it: `client.governance.inventory()` (all rows,
and filtered), and `client.governance.verify_audit()` (one streaming pass). Prints one JSON
object with seconds, rows and peak memory (Python allocations by tracemalloc, and the
process's peak RSS sampled from /proc). Run:
`.venv/bin/python benchmarks/bench_governance.py [--models 10000] [--events 1000000]
[--db-url postgresql+psycopg://...]` (SQLite in a temporary workspace by default).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, text, update

sys.path.insert(0, str(Path(__file__).parent))
from _memory import PeakRss  # noqa: E402

from modelward.client import Client  # noqa: E402
from modelward.config import Settings  # noqa: E402
from modelward.domain.audit import GENESIS, AuditEvent, chained  # noqa: E402
from modelward.store.sql import tables as t  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)
VERSIONS = 5
BATCH = 10_000
LEVELS = [(1, 2, "low"), (3, 2, "medium"), (4, 3, "high"), (5, 4, "severe")]


def _batches(rows: list[dict[str, Any]], conn: Connection, table: Any) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(table), rows[start : start + BATCH])


def seed_models(conn: Connection, models: int) -> None:
    """Models, versions, assessments and reports in bulk."""
    _batches(
        [
            {"id": i + 1, "name": f"model-{i:05d}", "description": "", "owner": f"team-{i % 7}"}
            | {"created_at": T0, "updated_at": T0}
            for i in range(models)
        ],
        conn,
        t.registered_models,
    )
    versions = [
        {"id": m * VERSIONS + v, "model_id": m + 1, "version": v, "run_id": None}
        | {"artifact_sha256": "a" * 64, "meta_sha256": "b" * 64, "flavor": "sklearn"}
        | {"signature": {}, "description": "", "created_by": "alice"}
        | {"created_at": T0 + timedelta(days=v)}
        for m in range(models)
        for v in range(1, VERSIONS + 1)
    ]
    _batches(versions, conn, t.model_versions)
    _batches(
        [
            {"model_id": m + 1, "likelihood": lk, "severity": sv, "level": level}
            | {"rationale": "", "answers": {}, "assessed_by": "rita", "assessed_at": T0}
            | {"expires_at": T0 + timedelta(days=365)}
            for m in range(models)
            for lk, sv, level in [LEVELS[m % 4]]
        ],
        conn,
        t.risk_assessments,
    )
    checks = [{"name": "performance.roc_auc", "category": "performance", "value": 0.9}]
    _batches(
        [
            {"model_version_id": m * VERSIONS + VERSIONS, "created_at": T0, "created_by": "val"}
            | {"passed": m % 3 != 0, "task": "classification", "report_sha256": "c" * 64}
            | {"summary": {"checks": checks, "warnings": []}}
            for m in range(models)
        ],
        conn,
        t.validation_reports,
    )
    seed_promotions(conn, models)


def seed_promotions(conn: Connection, models: int) -> None:
    """`champion` on every other model (with its history), reviews on every tenth."""
    live = range(0, models, 2)
    _batches(
        [
            {"model_id": m + 1, "alias": "champion", "version": VERSIONS - 1}
            | {"updated_at": T0, "updated_by": "ops"}
            for m in live
        ],
        conn,
        t.model_aliases,
    )
    _batches(
        [
            {"model_id": m + 1, "alias": "champion", "version": v, "previous_version": None}
            | {"at": T0 + timedelta(days=v), "actor": "ops"}
            for m in live
            for v in (VERSIONS - 2, VERSIONS - 1)
        ],
        conn,
        t.alias_events,
    )
    reviewed = range(0, models, 10)
    _batches(
        [
            {"model_version_id": m * VERSIONS + VERSIONS, "requested_by": "alice"}
            | {"requested_at": T0, "comment": ""}
            for m in reviewed
        ],
        conn,
        t.review_requests,
    )
    _batches(
        [
            {"model_version_id": m * VERSIONS + VERSIONS, "role": "validator", "user_name": "vic"}
            | {"decision": "approve", "comment": "", "at": T0}
            for m in reviewed
        ],
        conn,
        t.sign_offs,
    )


def seed_audit(conn: Connection, events: int) -> None:
    """A valid chain of `events` events, appended after the ones already there."""
    seq, head = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    rows: list[dict[str, Any]] = []
    for index in range(seq + 1, seq + events + 1):
        event = AuditEvent(
            "alias.set",
            "alias",
            f"model-{index % 10_000:05d}@champion",
            "ops",
            T0 + timedelta(seconds=index),
            before={"version": 1},
            after={"version": 2},
        )
        placed = chained(event, seq=index, prev_hash=head)
        head = placed.hash
        rows.append({**placed.content(), "at": placed.at, "hash": placed.hash})
        if len(rows) == BATCH:
            conn.execute(insert(t.audit_events), rows)
            rows = []
    if rows:
        conn.execute(insert(t.audit_events), rows)
    conn.execute(
        update(t.audit_head).where(t.audit_head.c.id == 1).values(seq=seq + events, hash=head)
    )
    assert head != GENESIS


def measure(action: Callable[[], Any]) -> dict[str, Any]:
    """Seconds (untraced), then peak Python allocations (a traced second run) and peak RSS."""
    start = time.perf_counter()
    with PeakRss() as rss:
        result = action()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": round(seconds, 3),
        "peak_python_mb": round(peak / 2**20, 1),
        "peak_rss_mb_above_baseline": round((rss.peak - rss.baseline) / 2**20, 1),
        "result": result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db-url", default=None)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="mw-bench-gov-")) / ".modelward"
    client = Client(Settings(home=home, db_url=args.db_url, user="bench"))
    out: dict[str, Any] = {"database": client.backend.engine.dialect.name}
    start = time.perf_counter()
    with client.backend.engine.begin() as conn:
        seed_models(conn, args.models)
    out["seed_models_seconds"] = round(time.perf_counter() - start, 1)
    gov = client.governance
    out["inventory_all"] = measure(lambda: len(gov.inventory()))
    out["inventory_risk_high"] = measure(lambda: len(gov.inventory(risk="high")))
    out["inventory_in_production"] = measure(lambda: len(gov.inventory(stage="in_production")))
    start = time.perf_counter()
    with client.backend.engine.begin() as conn:
        seed_audit(conn, args.events)
    out["seed_audit_seconds"] = round(time.perf_counter() - start, 1)

    def verify() -> dict[str, Any]:
        result = gov.verify_audit()
        return {"ok": result.ok, "checked": result.checked}

    out["audit_verify"] = measure(verify)
    out["models"], out["versions"], out["events"] = args.models, args.models * VERSIONS, args.events
    client.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
