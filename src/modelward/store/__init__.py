"""Adapters for storage: SQL metadata (SQLite or PostgreSQL), artifacts, prediction logs."""
