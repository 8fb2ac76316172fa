"""Many workers, one database: `modelward server --workers 4` on PostgreSQL driven by
concurrent clients that log runs, register versions of one shared model, read inventory
pages and approve versions. Prints JSON: throughput and p50/p99 latency per operation, and
the checks made afterwards on the database: nothing lost, nothing duplicated, versions
numbered 1..N with no gap, one sign-off per approval, and the audit chain verifies.

    .venv/bin/python benchmarks/bench_platform.py [--clients 8] [--rounds 10] [--workers 4]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Each run creates a PostgreSQL schema of its own (dropped at the end, --keep keeps it) and a
workspace folder for the artifact store, starts the server as a subprocess (the same
command a container runs) and drives it through the HTTP client (`Client` with
MODELWARD_SERVER_URL), as a team's scripts would. The peer: the same operations from one
client, to show what the workers and the connection pool add (`speedup`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modelward.client import Client  # noqa: E402
from modelward.config import Settings  # noqa: E402
from modelward.server.inthread import free_port  # noqa: E402

MODEL = "shared-model"
USERS = {"alice": ["data_scientist", "admin"], "vera": ["validator"]}


class Timings:
    """Latencies per operation and failures, from many threads."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self._lock = threading.Lock()

    def time(self, name: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            result = call()
        except Exception as exc:  # recorded: a failure is a finding, not a crash
            with self._lock:
                self.errors[name].append(f"{type(exc).__name__}: {str(exc)[:200]}")
            return None
        with self._lock:
            self.samples[name].append((time.perf_counter() - started) * 1000)
        return result

    def report(self, seconds: float) -> dict[str, Any]:
        found = {}
        for name in sorted(set(self.samples) | set(self.errors)):
            values = sorted(self.samples.get(name, []))
            found[name] = {
                "ok": len(values),
                "errors": len(self.errors.get(name, [])),
                "per_second": round(len(values) / seconds, 1),
                "p50_ms": round(statistics.median(values), 1) if values else None,
                "p99_ms": round(values[max(0, int(len(values) * 0.99) - 1)], 1) if values else None,
                "first_errors": self.errors.get(name, [])[:3],
            }
        return found


def schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def prepare(base: str, schema: str, home: Path) -> tuple[Settings, dict[str, str]]:
    """The schema, migrated; the users; their tokens."""
    from sqlalchemy import create_engine, text

    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    settings = Settings(home=home, db_url=schema_url(base, schema), user="alice")
    local = Client(settings)
    tokens = {"alice": local.governance.issue_token("alice")}
    for name, roles in USERS.items():
        if name != "alice":
            local.governance.add_user(name, roles)
    local.close()
    own = Client(settings.model_copy(update={"user": "vera"}))
    tokens["vera"] = own.governance.issue_token("vera")
    own.close()
    return settings, tokens


def start_server(settings: Settings, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    env |= {
        "MODELWARD_HOME": str(settings.home),
        "MODELWARD_DB_URL": str(settings.db_url),
        "MODELWARD_SECRET_KEY": uuid.uuid4().hex,  # one secret for every worker
    }
    log = open(Path(settings.home).parent / "server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "modelward.cli.main", "server", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # 4 workers import pandas and scikit-learn at once
    while True:
        try:
            if httpx.get(f"{url}/api/v1/whoami", timeout=2).status_code in (200, 401):
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(Path(log.name).read_text(errors="replace")[-6000:])
        time.sleep(0.3)


def tiny_model() -> tuple[Any, Any]:
    import pandas as pd
    from sklearn.dummy import DummyClassifier

    frame = pd.DataFrame({"income": [1.0, 2.0, 3.0, 4.0], "debt": [4.0, 3.0, 2.0, 1.0]})
    return DummyClassifier().fit(frame, [0, 1, 0, 1]), frame


def log_run(client: Client, worker: int, number: int) -> str:
    with client.start_run("bench-platform") as run:
        run.log_params({"worker": worker, "round": number})
        run.log_metrics({"auc": 0.5 + number / 1000, "loss": 1.0 / (1 + number)})
    return run.id


def register(client: Client, model: Any, frame: Any, runs: list[str]) -> tuple[str, int]:
    """A run with a model (its id appended to `runs`), registered as the next version of the
    shared model."""
    with client.start_run("bench-platform") as run:
        run.log_model(model, "model", input_example=frame.head(2))
    runs.append(run.id)
    version = client.registry.register(run.id, name=MODEL)
    return run.id, version.version


def inventory_page(pages: httpx.Client) -> None:
    pages.get("/api/v1/governance/inventory", params={"limit": 50}).raise_for_status()


def drive(
    url: str, tokens: dict[str, str], home: Path, clients: int, rounds: int, timings: Timings
) -> dict[str, Any]:
    """`clients` threads, `rounds` rounds each: log a run, register a version of the shared
    model, read an inventory page, approve a version (as the validator)."""
    model, frame = tiny_model()
    expected: dict[str, Any] = {"runs": [], "versions": [], "approvals": []}
    lock = threading.Lock()

    def settings_for(user: str, worker: int) -> Settings:
        return Settings(
            home=home / f"client-{user}-{worker}", server_url=url, token=tokens[user],
            flush_interval=0.2,
        )  # fmt: skip

    def work(worker: int) -> None:
        alice = Client(settings_for("alice", worker))
        vera = Client(settings_for("vera", worker))
        pages = httpx.Client(
            base_url=url, timeout=60, headers={"Authorization": f"Bearer {tokens['alice']}"}
        )
        try:
            for number in range(rounds):
                run_id = timings.time("log_run", partial(log_run, alice, worker, number))
                made: list[str] = []
                registered = timings.time("register", partial(register, alice, model, frame, made))
                timings.time("inventory_page", partial(inventory_page, pages))
                approval = None
                if registered is not None:
                    sign = partial(vera.governance.approve, MODEL, registered[1], role="validator")
                    approval = timings.time("approve", sign)
                with lock:
                    if run_id:
                        expected["runs"].append(run_id)
                    expected["runs"].extend(made)  # registered or not, the run exists
                    if registered:
                        expected["versions"].append(registered)
                    if approval is not None:
                        expected["approvals"].append(registered[1])
        finally:
            alice.close()
            vera.close()
            pages.close()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(work, range(clients)))
    return expected


def check(settings: Settings, expected: dict[str, Any]) -> dict[str, Any]:
    """What the database holds after the load, against what the clients were told."""
    from sqlalchemy import create_engine, text

    engine = create_engine(str(settings.db_url))
    with engine.connect() as conn:
        runs = [r[0] for r in conn.execute(text("SELECT id FROM runs"))]
        versions = list(
            conn.execute(
                text(
                    "SELECT v.version, v.run_id FROM model_versions v JOIN registered_models m"
                    " ON m.id = v.model_id WHERE m.name = :n ORDER BY v.version"
                ),
                {"n": MODEL},
            )
        )
        signoffs = conn.execute(text("SELECT count(*) FROM sign_offs")).scalar_one()
        events = conn.execute(text("SELECT count(*), min(seq), max(seq) FROM audit_events")).one()
    engine.dispose()
    numbers = [v[0] for v in versions]
    local = Client(settings)
    verified = local.governance.verify_audit()
    local.close()
    found = {
        "runs_told": len(expected["runs"]),
        "runs_stored": len(runs),
        "runs_lost": len(set(expected["runs"]) - set(runs)),
        "runs_duplicated": len(runs) - len(set(runs)),
        "versions_told": len(expected["versions"]),
        "versions_stored": len(numbers),
        "versions_numbered_1_to_n": numbers == list(range(1, len(numbers) + 1)),
        "versions_match_what_clients_were_told": sorted(expected["versions"])
        == sorted((str(run), number) for number, run in versions),
        "approvals_told": len(expected["approvals"]),
        "signoffs_stored": signoffs,
        "audit_events": events[0],
        "audit_seq_contiguous": events[0] == (events[2] or 0) - (events[1] or 1) + 1,
        "audit_verifies": verified.ok,
        "audit_checked": verified.checked,
    }
    found["all_ok"] = bool(
        found["runs_lost"] == 0
        and found["runs_duplicated"] == 0
        and found["runs_told"] == found["runs_stored"]
        and found["versions_told"] == found["versions_stored"]
        and found["versions_numbered_1_to_n"]
        and found["versions_match_what_clients_were_told"]
        and found["approvals_told"] == signoffs
        and found["audit_seq_contiguous"]
        and verified.ok
    )
    return found


def one_pass(args: argparse.Namespace, clients: int, rounds: int) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    schema = f"mw_bench_{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory(prefix="mw-bench-platform-") as folder:
        home = Path(folder) / "workspace"
        settings, tokens = prepare(args.pg, schema, home)
        process, url = start_server(settings, args.workers)
        timings = Timings()
        try:
            started = time.perf_counter()
            expected = drive(url, tokens, Path(folder), clients, rounds, timings)
            seconds = time.perf_counter() - started
        finally:
            process.terminate()  # a graceful stop of 4 workers takes a while on a busy host
            try:
                process.wait(120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)
        result = {
            "clients": clients,
            "rounds": rounds,
            "seconds": round(seconds, 1),
            "operations": timings.report(seconds),
            "checks": check(settings, expected),
        }
        if args.keep:
            result["schema"] = schema
        else:
            admin = create_engine(args.pg)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="Keep the schema for inspection.")
    args = parser.parse_args()
    concurrent = one_pass(args, args.clients, args.rounds)
    peer = one_pass(args, 1, args.rounds)
    total = sum(op["ok"] for op in concurrent["operations"].values())
    peer_total = sum(op["ok"] for op in peer["operations"].values())
    report = {
        "benchmark": "platform",
        "server_workers": args.workers,
        "machine": {"cpus": os.cpu_count()},
        "concurrent": concurrent,
        "one_client": peer,
        "operations_per_second": round(total / concurrent["seconds"], 1),
        "speedup_over_one_client": round(
            (total / concurrent["seconds"]) / max(peer_total / peer["seconds"], 1e-9), 2
        ),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
