"""Benchmarks of sessions-live beside the physical floor and django-session-security.

Run ``python3 dev.py bench`` (all, full length) or ``python3 dev.py bench NAME ... --quick``;
docs/benchmarks.md explains each figure and its limits.
"""
