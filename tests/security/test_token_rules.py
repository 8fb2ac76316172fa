"""The pure rules of tokens and sessions: when a token is refused, when its last use is worth
writing, when a session is alive; and the signed cookies of the sign-in form and sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelward.domain.tokens import ApiToken, WebSession
from modelward.server import session

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def token(**changes: object) -> ApiToken:
    fields: dict[str, object] = {
        "token_hash": "h",
        "user": "rita",
        "created_at": NOW - timedelta(days=10),
        "created_by": "alice",
        "id": 7,
        "expires_at": NOW + timedelta(days=80),
    } | changes
    return ApiToken(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "refused_because"),
    [
        pytest.param({}, None, id="live"),
        pytest.param({"expires_at": None}, None, id="issued-before-expiry-existed"),
        pytest.param({"expires_at": NOW}, "expired on 2026-11-30 12:00 UTC", id="expires-now"),
        pytest.param(
            {"revoked_at": NOW - timedelta(hours=1), "revoked_by": "alice"},
            "revoked on 2026-11-30 11:00 UTC by alice",
            id="revoked",
        ),
        pytest.param(
            {"revoked_at": NOW, "expires_at": NOW - timedelta(days=1)},
            "revoked",
            id="revocation-named-before-expiry",
        ),
    ],
)
def test_refusal_names_the_reason(changes: dict[str, object], refused_because: str | None) -> None:
    refusal = token(**changes).refusal(NOW)
    if refused_because is None:
        assert refusal is None
    else:
        assert refusal is not None and refused_because in refusal
        assert "modelward users token rita" in refusal


@pytest.mark.parametrize(
    ("last_used", "touch"),
    [
        pytest.param(None, True, id="never-used"),
        pytest.param(NOW - timedelta(seconds=59), False, id="used-59s-ago"),
        pytest.param(NOW - timedelta(seconds=60), True, id="used-a-minute-ago"),
    ],
)
def test_last_use_is_written_at_most_once_a_minute(last_used: datetime | None, touch: bool) -> None:
    assert token(last_used_at=last_used).needs_touch(NOW) is touch


@pytest.mark.parametrize(
    ("expires", "revoked", "alive"),
    [
        pytest.param(NOW + timedelta(hours=1), None, True, id="live"),
        pytest.param(NOW, None, False, id="expired"),
        pytest.param(NOW + timedelta(hours=1), NOW, False, id="signed-out"),
    ],
)
def test_session_alive(expires: datetime, revoked: datetime | None, alive: bool) -> None:
    found = WebSession("id", "rita", NOW - timedelta(hours=1), expires, revoked_at=revoked)
    assert found.alive(NOW) is alive


def test_login_csrf_is_bound_to_the_nonce_and_the_secret() -> None:
    nonce = session.new_nonce()
    good = session.login_csrf(b"secret", nonce)
    assert session.login_csrf_ok(b"secret", nonce, good)
    assert not session.login_csrf_ok(b"secret", session.new_nonce(), good)  # another cookie
    assert not session.login_csrf_ok(b"other secret", nonce, good)
    assert not session.login_csrf_ok(b"secret", None, good)
    assert not session.login_csrf_ok(b"secret", nonce, "")


def test_session_cookie_carries_the_given_nonce_and_expiry() -> None:
    cookie = session.issue(b"secret", "rita", nonce="n1", expires=2_000_000_000.0)
    found = session.read(b"secret", cookie, now=1_999_999_999.0)
    assert found == session.Session("rita", "n1", 2_000_000_000.0)
    assert session.read(b"secret", cookie, now=2_000_000_000.0) is None  # expired
    assert session.read(b"other", cookie, now=1.0) is None  # forged
