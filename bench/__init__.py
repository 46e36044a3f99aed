"""Tools that measure: benchmarks, load generators and tuning searches (python -m bench.NAME)."""
