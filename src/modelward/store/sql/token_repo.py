"""API tokens and web sessions in SQL: insert, look up by hash or id, list, touch, revoke.

The server authenticates with these: a token by its unique hash, a session by its primary key.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from modelward.domain.tokens import ApiToken, WebSession
from modelward.store.sql.tables import api_tokens, sessions


def _token(row: Any) -> ApiToken:
    return ApiToken(
        token_hash=row.token_hash,
        user=row.user_name,
        created_at=row.created_at,
        created_by=row.created_by,
        label=row.label,
        revoked_at=row.revoked_at,
        id=row.id,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_by=row.revoked_by,
    )


def _session(row: Any) -> WebSession:
    return WebSession(
        id=row.id,
        user=row.user_name,
        created_at=row.created_at,
        expires_at=row.expires_at,
        token_id=row.token_id,
        revoked_at=row.revoked_at,
    )


class SqlTokenRepo:
    """Tokens and sessions of one unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def save_token(self, token: ApiToken) -> ApiToken:
        """Insert a token; returns it with its id."""
        result = self.conn.execute(
            insert(api_tokens)
            .values(
                token_hash=token.token_hash,
                user_name=token.user,
                label=token.label,
                created_at=token.created_at,
                created_by=token.created_by,
                revoked_at=token.revoked_at,
                revoked_by=token.revoked_by,
                expires_at=token.expires_at,
                last_used_at=token.last_used_at,
            )
            .returning(api_tokens.c.id)
        )
        return replace(token, id=int(result.scalar_one()))

    def find_token(self, token_hash: str) -> ApiToken | None:
        """The token with this hash, or None."""
        row = self.conn.execute(
            select(api_tokens).where(api_tokens.c.token_hash == token_hash)
        ).first()
        return _token(row) if row else None

    def find_token_by_id(self, token_id: int) -> ApiToken | None:
        """The token with this id, or None."""
        row = self.conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        return _token(row) if row else None

    def list_tokens(self, user: str | None = None) -> list[ApiToken]:
        """Tokens (of one user), oldest first."""
        query = select(api_tokens).order_by(api_tokens.c.id)
        if user is not None:
            query = query.where(api_tokens.c.user_name == user)
        return [_token(row) for row in self.conn.execute(query)]

    def touch_token(self, token_id: int, *, at: datetime, older_than: datetime) -> None:
        """Set last_used_at to `at` unless another request already did after `older_than`."""
        self.conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id)
            .where(or_(api_tokens.c.last_used_at.is_(None), api_tokens.c.last_used_at < older_than))
            .values(last_used_at=at)
        )

    def revoke_tokens(
        self, *, at: datetime, by: str, user: str | None = None, token_id: int | None = None
    ) -> int:
        """Revoke the live tokens of `user`, or the token `token_id`; returns how many."""
        query = update(api_tokens).where(api_tokens.c.revoked_at.is_(None))
        if user is not None:
            query = query.where(api_tokens.c.user_name == user)
        if token_id is not None:
            query = query.where(api_tokens.c.id == token_id)
        if user is None and token_id is None:
            raise ValueError("revoke_tokens needs a user or a token id")
        return int(self.conn.execute(query.values(revoked_at=at, revoked_by=by)).rowcount)

    def save_session(self, session: WebSession) -> None:
        """Insert a session."""
        self.conn.execute(
            insert(sessions).values(
                id=session.id,
                user_name=session.user,
                token_id=session.token_id,
                created_at=session.created_at,
                expires_at=session.expires_at,
                revoked_at=session.revoked_at,
            )
        )

    def find_session(self, session_id: str) -> WebSession | None:
        """The session with this id (the sha256 of its nonce), or None."""
        row = self.conn.execute(select(sessions).where(sessions.c.id == session_id)).first()
        return _session(row) if row else None

    def revoke_sessions(
        self,
        *,
        at: datetime,
        session_id: str | None = None,
        user: str | None = None,
        token_id: int | None = None,
    ) -> int:
        """Revoke one session, a user's sessions, or those started with a token; how many."""
        if session_id is None and user is None and token_id is None:
            raise ValueError("revoke_sessions needs a session id, a user or a token id")
        query = update(sessions).where(sessions.c.revoked_at.is_(None))
        if session_id is not None:
            query = query.where(sessions.c.id == session_id)
        if user is not None:
            query = query.where(sessions.c.user_name == user)
        if token_id is not None:
            query = query.where(sessions.c.token_id == token_id)
        return int(self.conn.execute(query.values(revoked_at=at)).rowcount)

    def delete_sessions_expired_before(self, when: datetime) -> int:
        """Forget sessions that expired before `when` (they can never be used again)."""
        result = self.conn.execute(delete(sessions).where(sessions.c.expires_at < when))
        return int(result.rowcount)
