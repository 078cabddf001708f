"""A project set up the way django-session-security's documentation sets one up, with
sessions-live swapped in (docs/migrating-from-django-session-security.md, tests/test_migrating.py).
"""
