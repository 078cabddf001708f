"""A project whose pages use htmx (hx-boost) and Turbo Drive, served under daphne for the
browser tests (tests/browser/test_front_ends.py, docs/front-ends.md)."""
