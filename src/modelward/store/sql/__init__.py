"""The metadata store over SQLAlchemy Core: one implementation for SQLite and PostgreSQL."""
