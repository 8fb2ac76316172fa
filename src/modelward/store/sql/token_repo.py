"""API tokens in SQL: insert, look up by hash, list (the server authenticates with these)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from modelward.domain.tokens import ApiToken
from modelward.store.sql.tables import api_tokens


def _token(row: Any) -> ApiToken:
    return ApiToken(
        token_hash=row.token_hash,
        user=row.user_name,
        created_at=row.created_at,
        created_by=row.created_by,
        label=row.label,
        revoked_at=row.revoked_at,
        id=row.id,
    )


class SqlTokenRepo:
    """Tokens of one unit of work's connection."""

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
            )
            .returning(api_tokens.c.id)
        )
        from dataclasses import replace

        return replace(token, id=int(result.scalar_one()))

    def find_token(self, token_hash: str) -> ApiToken | None:
        """The token with this hash, or None."""
        row = self.conn.execute(
            select(api_tokens).where(api_tokens.c.token_hash == token_hash)
        ).first()
        return _token(row) if row else None

    def list_tokens(self, user: str | None = None) -> list[ApiToken]:
        """Tokens (of one user), oldest first."""
        query = select(api_tokens).order_by(api_tokens.c.id)
        if user is not None:
            query = query.where(api_tokens.c.user_name == user)
        return [_token(row) for row in self.conn.execute(query)]
