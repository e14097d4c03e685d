"""Data-quality checks and status: contracts run as Great Expectations suites, stream freshness and volume against
their own history, and the per (organisation, day, dimension) status the scores and the drift alerts rely on.

Plain Python like the other domain packages (no Dagster): `pipelines/checks.py` turns these into asset checks.
Great Expectations is imported lazily inside `suites.validate` (importing it costs about 2.5 s).
"""
