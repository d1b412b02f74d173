"""Benchmark of the REST API's authentication (issue 4): `uv run python bench/run.py`."""
