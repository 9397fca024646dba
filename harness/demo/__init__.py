"""`scripts/serve.sh --demo` (`python -m harness.demo`): the whole desk on this machine, with sample
deposits and tickets, until Ctrl-C. See README.md and docs/architecture.md ("The demo")."""
