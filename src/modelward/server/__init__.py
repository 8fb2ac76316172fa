"""HTTP faces: the scoring service (``scoring.py``); thin over the services."""
