"""Where test modules import the app server and the worker from; the code is harness/serving.py,
shared with the benches."""

from harness.serving import run_worker, serve

__all__ = ["run_worker", "serve"]
