"""Batched logging: few transactions, nothing lost at end, failure or exit, bounded loss on kill."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import event

from modelward.client import Client
from modelward.config import Settings
from modelward.domain.tracking import RunStatus


def test_5000_log_metric_calls_are_a_handful_of_transactions(client: Client) -> None:
    commits = []
    event.listen(client.backend.engine, "commit", lambda conn: commits.append(1))
    with client.start_run("loop") as run:
        for step in range(5000):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
    assert len(client.tracking.metric_history(run.id, "loss")) == 5000
    # start, a few background flushes at most, final flush, end
    assert len(commits) < 20, f"{len(commits)} transactions for 5,000 log_metric calls"


def _child(settings: Settings, body: str) -> list[str]:
    env = os.environ | {
        "MODELWARD_HOME": str(settings.home),
        "MODELWARD_USER": "child",
        "MODELWARD_FLUSH_INTERVAL": "0.2",
    }
    env.pop("MODELWARD_DB_URL", None)
    return [sys.executable, "-c", textwrap.dedent(body)], env  # type: ignore[return-value]


def _open(settings: Settings) -> Client:
    return Client(Settings(home=settings.home, user="parent"))


@pytest.mark.slow  # a Python subprocess
def test_a_script_that_exits_without_ending_its_run_loses_nothing(
    sqlite_settings: Settings,
) -> None:
    cmd, env = _child(
        sqlite_settings,
        """
        import modelward as mw
        run = mw.start_run("exit")
        run.log_param("C", 1)
        for step in range(1000):
            run.log_metric("loss", step, step=step)
        print(run.id)
    """,
    )
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=True)
    run_id = done.stdout.strip()
    client = _open(sqlite_settings)
    stored = client.tracking.get_run(run_id)
    assert stored.status is RunStatus.FINISHED and stored.params == {"C": "1"}
    assert len(client.tracking.metric_history(run_id, "loss")) == 1000
    client.close()


@pytest.mark.slow  # a Python subprocess
def test_an_uncaught_exception_inside_the_run_marks_it_failed(sqlite_settings: Settings) -> None:
    cmd, env = _child(
        sqlite_settings,
        """
        import sys
        import modelward as mw
        with mw.start_run("crash") as run:
            print(run.id, flush=True)
            run.log_metric("loss", 0.5)
            raise SystemExit(3)
    """,
    )
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    client = _open(sqlite_settings)
    stored = client.tracking.get_run(done.stdout.split()[0])
    assert stored.status is RunStatus.FAILED and stored.metrics == {"loss": 0.5}
    client.close()


@pytest.mark.slow  # a Python subprocess
def test_a_hard_kill_loses_at_most_the_last_flush_interval(sqlite_settings: Settings) -> None:
    cmd, env = _child(
        sqlite_settings,
        """
        import time
        import modelward as mw
        run = mw.start_run("killed")
        print(run.id, flush=True)
        step = 0
        while True:
            run.log_metric("tick", step, step=step)
            print(step, time.monotonic(), flush=True)
            step += 1
            time.sleep(0.005)
    """,
    )
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    logged: list[tuple[int, float]] = []
    start = time.monotonic()
    while time.monotonic() - start < 2.0:
        step, at = proc.stdout.readline().split()
        logged.append((int(step), float(at)))
    killed_at = time.monotonic()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    client = _open(sqlite_settings)
    stored = {m.step for m in client.tracking.metric_history(run_id, "tick")}
    interval, slack = 0.2, 0.3  # flush interval, plus time for the flush itself on a busy CI box
    must_have = [step for step, at in logged if at < killed_at - interval - slack]
    assert must_have, "the child logged for two seconds"
    assert set(must_have) <= stored, (
        f"lost {len(set(must_have) - stored)} values older than the interval"
    )
    assert client.tracking.get_run(run_id).status is RunStatus.RUNNING
    client.close()


@pytest.mark.slow  # a Python subprocess
def test_two_processes_logging_into_one_sqlite_workspace_lose_nothing(
    sqlite_settings: Settings,
) -> None:
    body = """
        import sys
        import modelward as mw
        tag = sys.argv[1]
        for i in range(15):
            with mw.start_run("shared", name=f"{tag}-{i}") as run:
                run.log_params({"worker": tag, "i": i})
                for step in range(100):
                    run.log_metric("loss", step, step=step)
    """
    procs = []
    for tag in ("a", "b"):
        cmd, env = _child(sqlite_settings, body)
        procs.append(subprocess.Popen([*cmd, tag], env=env, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    client = _open(sqlite_settings)
    runs = client.tracking.search_runs(experiments=["shared"], limit=100)
    assert len(runs) == 30
    assert all(r.status is RunStatus.FINISHED and r.metrics == {"loss": 99.0} for r in runs)
    assert sum(len(client.tracking.metric_history(r.id, "loss")) for r in runs) == 3000
    client.close()
