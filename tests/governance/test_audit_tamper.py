"""Attacks on the audit trail performed for real, with SQL on the workspace's database and
with files on disk, on SQLite and PostgreSQL: verify names each, the CLI exits 7 with one
line, the REST endpoint answers 200 with ok=false. Also the policy hash in the trail."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from modelward.cli.main import app
from modelward.client import Client
from modelward.client.governance import CHECKPOINT_FILE
from modelward.config import Settings
from modelward.domain.audit import AuditEvent, chained
from modelward.governance.audit_verify import Finding, Problem, VerifyResult
from modelward.governance.policies import load_policies, policy_hash
from modelward.governance.policy_audit import POLICY_CHANGED, record_policy_in_force
from modelward.governance.trail import CHECKPOINT_REFS
from modelward.server.app import create_app
from tests.server.conftest import make_team

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

runner = CliRunner()
USERS = {"alice": ["admin"], "bob": ["viewer"], "carol": ["validator"]}


# -- a workspace with a checkpoint, and the attacker's tools -------------------------------


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """The attacker's own connection to the workspace's database."""
    made = create_engine(settings.resolved_db_url())
    yield made
    made.dispose()


@pytest.fixture
def ws(client: Client) -> Client:
    """Events 1-3 (users), the checkpoint of event 3 (its event is 4), event 5 (a user)."""
    for name, roles in USERS.items():
        client.governance.add_user(name, roles)
    record = client.governance.checkpoint_audit()
    assert record.seq == 3
    client.governance.add_user("dave", ["viewer"])
    return client


def sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def stored(client: Client) -> list[AuditEvent]:
    with client.backend.uow(read_only=True) as uow:
        return list(uow.audit.iter_events())


def found(result: VerifyResult, problem: Problem) -> list[Finding]:
    return [finding for finding in result.problems if finding.problem is problem]


def checkpoint_address(client: Client) -> str:
    (record,) = client.governance.checkpoints()
    return record.address


def test_an_untampered_chain_with_checkpoints_verifies(ws: Client) -> None:
    result = ws.governance.verify_audit()
    assert (result.ok, result.checked, result.problems) == (True, 5, ())
    address = checkpoint_address(ws)
    assert ws.backend.artifacts.list_refs(CHECKPOINT_REFS) == {
        f"{CHECKPOINT_REFS}/{address}": address
    }
    second = ws.governance.checkpoint_audit()  # verifying again with two checkpoints
    assert second.seq == 5 and ws.governance.verify_audit().ok


def test_verifying_while_others_append_and_checkpoint_finds_nothing(
    ws: Client, settings: Settings
) -> None:
    """The head and ref checks tolerate concurrent writers (no false alarm)."""
    results: list[VerifyResult] = []
    done = threading.Event()

    def verify_until_done() -> None:
        reader = Client(settings)
        try:
            while not done.is_set() or not results:
                results.append(reader.governance.verify_audit())
        finally:
            reader.close()

    thread = threading.Thread(target=verify_until_done)
    thread.start()
    writer = Client(settings)
    try:
        for number in range(12):
            writer.governance.add_user(f"user{number}", ["viewer"])
            if number % 4 == 3:
                writer.governance.checkpoint_audit()
    finally:
        done.set()
        thread.join(timeout=120)
        writer.close()
    assert results and [r.message for r in results if not r.ok] == []
    assert ws.governance.verify_audit().checked == 5 + 12 + 3


# -- checkpoints the database and the workspace no longer know ------------------------------


def test_deleting_the_checkpoint_row_and_the_workspace_file_does_not_hide_a_truncation(
    ws: Client, settings: Settings, engine: Engine
) -> None:
    address = checkpoint_address(ws)
    second = stored(ws)[1]
    # cut the chain back to event 2, consistently with audit_head, and hide the checkpoint
    sql(engine, "DELETE FROM audit_events WHERE seq > 2")
    sql(engine, "UPDATE audit_head SET seq = 2, hash = :h", h=second.hash)
    sql(engine, "DELETE FROM audit_checkpoints")
    (Path(settings.home) / CHECKPOINT_FILE).unlink()
    result = ws.governance.verify_audit()
    assert (result.ok, result.problem, result.first_bad_seq) == (False, Problem.TRUNCATED, 3)
    (deleted_row,) = found(result, Problem.DELETED)
    assert deleted_row.address == address and deleted_row.seq == 3
    assert "row in audit_checkpoints was deleted" in deleted_row.message
    assert "the artifact store's refs" in deleted_row.message


def test_a_checkpoint_without_its_row_is_tampering_even_when_the_chain_is_whole(
    ws: Client, engine: Engine
) -> None:
    address = checkpoint_address(ws)
    sql(engine, "DELETE FROM audit_checkpoints")
    result = ws.governance.verify_audit()
    assert (result.ok, result.problem, result.first_bad_seq) == (False, Problem.DELETED, 3)
    assert [(f.problem, f.address) for f in result.problems] == [(Problem.DELETED, address)]
    assert address[:12] in result.message


# -- audit_head against the chain ------------------------------------------------------------


def test_deleting_the_newest_event_is_caught_by_audit_head(ws: Client, engine: Engine) -> None:
    head = stored(ws)[-1]
    sql(engine, "DELETE FROM audit_events WHERE seq = 5")
    result = ws.governance.verify_audit()
    assert (result.ok, result.problem, result.first_bad_seq) == (False, Problem.DELETED, 5)
    assert f"audit_head records event 5 (hash {head.hash[:12]})" in result.message
    assert "the audit chain ends at event 4" in result.message


def test_rewriting_the_newest_event_is_caught_by_audit_head(ws: Client, engine: Engine) -> None:
    *_, before, last = stored(ws)
    forged = chained(replace(last, actor="mallory"), seq=5, prev_hash=before.hash)
    sql(engine, "UPDATE audit_events SET actor = 'mallory', hash = :h WHERE seq = 5", h=forged.hash)
    result = ws.governance.verify_audit()
    assert (result.ok, result.problem, result.first_bad_seq) == (False, Problem.EDITED, 5)
    assert f"audit_head records hash {last.hash[:12]} for event 5" in result.message
    assert forged.hash[:12] in result.message


def test_a_deleted_audit_head_is_reported(ws: Client, engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_head")
    result = ws.governance.verify_audit()
    assert (result.ok, result.problem, result.first_bad_seq) == (False, Problem.MALFORMED, None)
    assert "audit_head row is missing or malformed" in result.message


def test_an_event_appended_around_the_audit_log_is_caught(ws: Client) -> None:
    last = stored(ws)[-1]
    at = datetime(2026, 6, 1, tzinfo=UTC)
    forged = chained(
        AuditEvent("user.created", "user", "m", "mallory", at), seq=6, prev_hash=last.hash
    )
    with ws.backend.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id,"
                " reason, prev_hash, hash) VALUES (6, :at, 'mallory', 'user.created', 'user',"
                " 'm', '', :prev, :hash)"
            ),
            {"at": at.replace(tzinfo=None), "prev": last.hash, "hash": forged.hash},
        )
    result = ws.governance.verify_audit()
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "runs to event 6 but audit_head records event 5" in result.message


# -- malformed rows --------------------------------------------------------------------------

# Each attack on event 3: SQLite statements, then PostgreSQL ones with the statements that undo
# their schema change afterwards (the PostgreSQL schema is shared by the whole test session).
LOOSEN_SQLITE = [  # SQLite enforces NOT NULL: rebuild the table without constraints
    "CREATE TABLE loose AS SELECT * FROM audit_events",
    "DROP TABLE audit_events",
    "ALTER TABLE loose RENAME TO audit_events",
]
MALFORMED: dict[str, tuple[list[str], list[str] | None, list[str]]] = {
    "before_not_json": (
        ["UPDATE audit_events SET before = '{not json' WHERE seq = 3"],
        [
            "ALTER TABLE audit_events ALTER COLUMN before TYPE text USING before::text",
            "UPDATE audit_events SET before = '{not json' WHERE seq = 3",
        ],
        ["ALTER TABLE audit_events ALTER COLUMN before TYPE jsonb USING before::jsonb"],
    ),
    "after_wrong_type": (
        ["UPDATE audit_events SET after = '[1, 2]' WHERE seq = 3"],
        ["UPDATE audit_events SET after = '[1, 2]'::jsonb WHERE seq = 3"],
        [],
    ),
    "hash_null": (
        [*LOOSEN_SQLITE, "UPDATE audit_events SET hash = NULL WHERE seq = 3"],
        [
            "ALTER TABLE audit_events ALTER COLUMN hash DROP NOT NULL",
            "UPDATE audit_events SET hash = NULL WHERE seq = 3",
        ],
        ["ALTER TABLE audit_events ALTER COLUMN hash SET NOT NULL"],
    ),
    "time_not_a_time": (
        ["UPDATE audit_events SET at = 'yesterday' WHERE seq = 3"],
        [
            "ALTER TABLE audit_events ALTER COLUMN at TYPE text USING at::text",
            "UPDATE audit_events SET at = 'yesterday' WHERE seq = 3",
        ],
        ["ALTER TABLE audit_events ALTER COLUMN at TYPE timestamptz USING at::timestamptz"],
    ),
    # PostgreSQL compares seq with integers, so a text seq needs a schema change that breaks
    # every query on the table (and `alembic check` reports); SQLite stores what it is given.
    "seq_not_integer": (["UPDATE audit_events SET seq = 'three' WHERE seq = 3"], None, []),
}
REASONS = {
    "before_not_json": "its before '{not json' is not JSON",
    "after_wrong_type": "its after is list [1, 2], not a JSON object",
    "hash_null": "its hash is NULL, not text",
    "time_not_a_time": "'yesterday'",
    "seq_not_integer": "row stored with seq 'three' is malformed",
}


@pytest.fixture
def malformed(
    request: pytest.FixtureRequest, ws: Client, engine: Engine
) -> Iterator[tuple[Client, str]]:
    """The workspace with event 3 malformed in the way named by the test's `kind`."""
    kind: str = request.param
    on_sqlite, on_pg, undo = MALFORMED[kind]
    statements = on_sqlite if engine.dialect.name == "sqlite" else on_pg
    if statements is None:
        pytest.skip(f"{kind} cannot be stored on PostgreSQL without breaking the table")
    ws.backend.engine.dispose()  # no prepared statement outlives the schema change
    try:
        for statement in statements:
            sql(engine, statement)
        yield ws, kind
    finally:
        ws.backend.engine.dispose()
        if engine.dialect.name != "sqlite" and undo:
            sql(engine, "DELETE FROM audit_events")
            for statement in undo:
                sql(engine, statement)


@pytest.mark.parametrize("malformed", list(MALFORMED), indirect=True)
def test_a_malformed_row_is_reported_naming_it(malformed: tuple[Client, str]) -> None:
    ws, kind = malformed
    result = ws.governance.verify_audit()
    assert (result.ok, result.problem, result.first_bad_seq) == (False, Problem.MALFORMED, 3)
    assert result.checked == 2  # events 1 and 2 were verified before it
    assert REASONS[kind] in result.message
    if kind != "seq_not_integer":
        assert result.message.startswith("Audit event 3 is malformed")


@pytest.mark.parametrize("malformed", ["after_wrong_type", "seq_not_integer"], indirect=True)
def test_the_cli_exits_7_on_a_malformed_row(
    malformed: tuple[Client, str], settings: Settings
) -> None:
    _, kind = malformed
    code, _, err = invoke(settings, "audit", "verify")
    assert code == 7 and one_line(err) and REASONS[kind] in err
    code, _, err = invoke(settings, "audit", "export", "-o", str(Path(settings.home) / "x"))
    assert code == 7 and one_line(err) and "malformed" in err


@pytest.mark.parametrize("malformed", ["after_wrong_type"], indirect=True)
def test_the_api_reports_a_malformed_row(malformed: tuple[Client, str], settings: Settings) -> None:
    body = verify_over_http(settings)
    assert body["ok"] is False and body["detail"]["problem"] == "malformed"
    assert [(p["problem"], p["seq"]) for p in body["problems"]] == [("malformed", 3)]


# -- malformed checkpoints ------------------------------------------------------------------


def _truncate_blob(ws: Client, engine: Engine) -> str:
    address = checkpoint_address(ws)
    path = ws.backend.artifacts._local_path(address)
    path.write_bytes(path.read_bytes()[:10])
    return address


def _replace_blob(content: bytes) -> Any:
    def attack(ws: Client, engine: Engine) -> str:
        address = ws.backend.artifacts.put_bytes(content)
        sql(engine, "UPDATE audit_checkpoints SET address = :a", a=address)
        ws.backend.artifacts.put_ref(f"{CHECKPOINT_REFS}/{address}", address)
        return address

    return attack


BLOB_ATTACKS = {
    "truncated": (_truncate_blob, Problem.EDITED, "no longer hashes to its address"),
    "not_json": (_replace_blob(b"{not json"), Problem.MALFORMED, "is not a checkpoint"),
    "lacks_fields": (_replace_blob(b'{"seq": 3}'), Problem.MALFORMED, "is not a checkpoint"),
    "not_an_object": (_replace_blob(b"[3]"), Problem.MALFORMED, "is not a checkpoint"),
}


@pytest.mark.parametrize("attack", list(BLOB_ATTACKS))
def test_a_malformed_checkpoint_is_reported_naming_its_address(
    ws: Client, engine: Engine, settings: Settings, attack: str
) -> None:
    tamper, problem, words = BLOB_ATTACKS[attack]
    address = tamper(ws, engine)
    result = ws.governance.verify_audit()
    assert not result.ok
    named = [f for f in result.problems if f.address == address]
    assert [f.problem for f in named] == [problem] and words in named[0].message
    code, _, err = invoke(settings, "audit", "verify")
    assert code == 7 and one_line(err) and address[:12] in err
    body = verify_over_http(settings)
    assert body["ok"] is False and address in [p["address"] for p in body["problems"]]


# -- the CLI and the API on the attacks ----------------------------------------------------


def invoke(settings: Settings, *args: str) -> tuple[int, str, str]:
    env = {
        "COLUMNS": "200",
        "MODELWARD_USER": "alice",
        "MODELWARD_DB_URL": settings.resolved_db_url(),
        "MODELWARD_ARTIFACT_URL": settings.resolved_artifact_url(),
    }
    result = runner.invoke(app, ["--home", str(settings.home), *args], env=env)
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def one_line(err: str) -> bool:
    return err.startswith("Error: ") and len(err.strip().splitlines()) == 1


def admin_token(settings: Settings) -> str:
    """alice's token: at bootstrap from the local client, else issued as the server would
    (an identity the server authenticated), since local mode no longer issues admin tokens."""
    local = Client(settings)
    try:
        if not local.governance.users():
            return local.governance.issue_token("alice")
    finally:
        local.close()
    from modelward.governance import tokens
    from modelward.workspace import Workspace

    workspace = Workspace.open(settings)
    try:
        guard = workspace.guard("alice", authenticated=True)
        text, _ = tokens.issue_token(workspace.uow(), user="alice", guard=guard)
        return text
    finally:
        workspace.close()


def verify_over_http(settings: Settings) -> dict[str, Any]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as http:
        token = admin_token(settings)
        response = http.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_cli_names_a_deleted_newest_event(
    ws: Client, settings: Settings, engine: Engine
) -> None:
    assert invoke(settings, "audit", "verify")[0] == 0
    sql(engine, "DELETE FROM audit_events WHERE seq = 5")
    code, out, err = invoke(settings, "audit", "verify")
    assert code == 7 and one_line(err)
    assert "audit_head records event 5" in err and "ends at event 4" in err


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    """A TestClient authenticated as alice (as tests/server/conftest.py's `api`)."""
    team = make_team(settings)
    with TestClient(create_app(settings), raise_server_exceptions=False) as made:
        made.headers.update(team.headers("alice"))
        yield made


def test_the_api_answers_200_with_the_problems(api: TestClient, engine: Engine) -> None:
    assert api.get("/api/v1/audit/verify").json()["ok"] is True
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_events")).scalar_one()
    sql(engine, "DELETE FROM audit_events WHERE seq = :s", s=last)
    response = api.get("/api/v1/audit/verify")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert [(p["problem"], p["seq"]) for p in body["problems"]] == [("deleted", last)]
    assert f"audit_head records event {last}" in body["problems"][0]["message"]


# -- the policies in force -----------------------------------------------------------------

POLICY = """\
policies:
  medium:
    sign_offs: {validator: %d}
"""


def policy_events(client: Client) -> list[AuditEvent]:
    return [e for e in client.governance.audit_events(limit=1000) if e.action == POLICY_CHANGED]


def test_a_policy_change_is_recorded_once(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text(POLICY % 1, "utf-8")
    now = datetime(2026, 6, 1, tzinfo=UTC)

    def record() -> AuditEvent | None:
        return record_policy_in_force(
            client.backend.uow(), load_policies(path), "alice", now, source=str(path)
        )

    first = record()
    assert first is not None and first.after == {
        "hash": policy_hash(load_policies(path)),
        "source": str(path),
    }
    assert record() is None  # unchanged: nothing new
    path.write_text(POLICY % 2, "utf-8")
    second = record()
    assert second is not None and second.before == {"hash": first.after["hash"]}
    assert record() is None
    assert [e.seq for e in policy_events(client)] == [second.seq, first.seq]
    assert client.governance.verify_audit().ok


def test_policy_hash_is_canonical(tmp_path: Path) -> None:
    one, two = tmp_path / "a.yaml", tmp_path / "b.yaml"
    one.write_text("policies:\n  medium:\n    sign_offs: {validator: 1}\n", "utf-8")
    two.write_text(
        "# same, written otherwise\npolicies: {medium: {sign_offs: {validator: 1}}}\n", "utf-8"
    )
    assert policy_hash(load_policies(one)) == policy_hash(load_policies(two))
    roles = tmp_path / "roles.yaml"
    roles.write_text("roles:\n  model_owner: [view, approve]\n", "utf-8")
    assert policy_hash(load_policies(roles)) != policy_hash(load_policies(None))
    assert policy_hash(load_policies(None)) == policy_hash(load_policies(None))


def test_workspaces_opening_at_once_record_one_policy_change(
    client: Client, settings: Settings
) -> None:
    policies, now = load_policies(None), datetime(2026, 6, 1, tzinfo=UTC)
    recorded: list[AuditEvent | None] = []
    clients = [Client(settings) for _ in range(4)]

    def open_workspace(opener: Client) -> None:
        recorded.append(record_policy_in_force(opener.backend.uow(), policies, "alice", now))

    threads = [threading.Thread(target=open_workspace, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for opened in clients:
        opened.close()
    assert len(recorded) == 4 and sum(event is not None for event in recorded) == 1
    (event,) = policy_events(client)
    assert event.after == {"hash": policy_hash(policies), "source": "defaults"}
