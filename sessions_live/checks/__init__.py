"""System checks: a misconfiguration is reported at start-up, with the fix in the hint.

One module per subject: :mod:`.configuration` (the setting), :mod:`.project` (the project
around it), :mod:`.migration_history` (the database); their messages are in :mod:`.messages`.
Importing this package registers them all.
"""

from sessions_live.checks import messages, migration_history
from sessions_live.checks.configuration import check_settings
from sessions_live.checks.messages import *  # noqa: F403  (the ids' messages, as checks.E001_MSG)
from sessions_live.checks.project import (
    check_channel_layer,
    check_legacy_urls,
    check_middleware,
    check_request_context_processor,
    check_session_engine,
    check_warning_time,
)

__all__ = [
    "check_channel_layer",
    "check_legacy_urls",
    "check_middleware",
    "check_request_context_processor",
    "check_session_engine",
    "check_settings",
    "check_warning_time",
    "messages",
    "migration_history",
]
