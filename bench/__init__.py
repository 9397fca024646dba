"""Benchmarks of issue 2: cold chain checks against naive baselines, warm API checks against a bare app.

Run with `bash scripts/bench.sh` (or `python -m bench.checks` from the repository root).
"""
