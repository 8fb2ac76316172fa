"""Serving: routing rules, request parsing, the scoring engine and batch scoring.

Framework-free: the FastAPI app in ``modelward.server.scoring`` is a thin face over it.
"""
