"""dev.py's helpers, in the standard library alone: dev.py runs on a bare system Python, before
any environment exists, and imports these from the checkout."""
