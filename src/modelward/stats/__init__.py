"""Statistics shared by tracking (dataset profiles), validation (data quality) and monitoring
(drift).

Pure computation over pandas/numpy/pyarrow/scipy: no storage, no settings.
"""
