"""The one place that reads and writes live-session state: this package's names are its API.

:mod:`.records` (one session's record), :mod:`.tabs` (tabs and processes) and :mod:`.queries`
(many sessions at once) over the models; :mod:`.deadlines` (the policy's deadlines as SQL),
:mod:`.session_keys` (what a record is keyed by) and :mod:`.user_timeouts` (a user's own
timeouts). Functions here are synchronous; async code calls them through
``database_sync_to_async``. Callers use ``store.<name>``, so a test can replace one for all.
"""

from sessions_live.store import broadcasts
from sessions_live.store.privacy import Rewritten, keep_only
from sessions_live.store.queries import (
    HOOK_SWEEP_LIMIT,
    count_by_state,
    delete_ended_before,
    due,
    ended_since,
    live_records,
    live_sessions_of,
    next_deadline,
    user_pk,
)
from sessions_live.store.records import (
    ANNOUNCE_WITHIN,
    USER_AGENT_MAX,
    announced,
    claim_end,
    find,
    find_marked,
    find_of,
    get,
    lease,
    mark_changed,
    move,
    past_deadline,
    rekey,
    start,
    status,
    take_unannounced,
    to_datetime,
    to_epoch,
    touch,
)
from sessions_live.store.session_keys import key_hash, key_hashes
from sessions_live.store.tabs import (
    add_tab,
    beat,
    forget_processes,
    forget_tabs,
    prune_tabs,
    remove_tab,
    tabs_open,
)

__all__ = [
    "ANNOUNCE_WITHIN",
    "HOOK_SWEEP_LIMIT",
    "USER_AGENT_MAX",
    "Rewritten",
    "add_tab",
    "announced",
    "beat",
    "broadcasts",
    "claim_end",
    "count_by_state",
    "delete_ended_before",
    "due",
    "ended_since",
    "find",
    "find_marked",
    "find_of",
    "forget_processes",
    "forget_tabs",
    "get",
    "keep_only",
    "key_hash",
    "key_hashes",
    "lease",
    "live_records",
    "live_sessions_of",
    "mark_changed",
    "move",
    "next_deadline",
    "past_deadline",
    "prune_tabs",
    "rekey",
    "remove_tab",
    "start",
    "status",
    "tabs_open",
    "take_unannounced",
    "to_datetime",
    "to_epoch",
    "touch",
    "user_pk",
]
