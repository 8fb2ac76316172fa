"""Tolerances for comparing our statistics with scipy's, and why each is that size."""

# The KS statistic is a difference of two ECDF values k/n - j/m, computed with the same
# divisions as scipy's. rel 1e-12 (a few thousand ulps) only forgives another evaluation order in
# scipy, NumPy or Dask; a different rank or count moves the statistic by at least 1/n.
KS_TOLERANCE: dict[str, float] = {"rel": 1e-12, "abs": 1e-15}
