"""Loaded by every server process the tests start (tests/servers.py puts this folder first on
PYTHONPATH): what the next Django releases remove is an error there too, as it is in the
test process itself (pyproject.toml, filterwarnings)."""

import warnings

from django.utils.deprecation import RemovedAfterNextVersionWarning, RemovedInNextVersionWarning

for category in (RemovedInNextVersionWarning, RemovedAfterNextVersionWarning):
    warnings.filterwarnings("error", category=category)
