"""What a live-session record is keyed by: a digest of the Django session key, never the key.

The key is a bearer credential. A Django session key is 32 random characters of [a-z0-9]
(about 165 bits), so a SHA-256 digest of it can be neither reversed nor guessed, and unlike an
HMAC with SECRET_KEY it does not change when SECRET_KEY is rotated (Django itself keeps the
raw key in django_session). Earlier versions keyed records by such an HMAC: those records are
still found under SECRET_KEY or any of SECRET_KEY_FALLBACKS, and re-keyed by the store.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.utils.crypto import salted_hmac

_DIGEST_PREFIX = b"sessions_live.session_key:"
#: The salt of the HMAC that earlier versions keyed records by.
_HMAC_SALT = "sessions_live.session_key"


def key_hash(session_key: str) -> str:
    """The digest a record is keyed by: SHA-256 of the session key, namespaced."""
    return hashlib.sha256(_DIGEST_PREFIX + session_key.encode()).hexdigest()


def earlier_hashes(session_key: str) -> list[str]:
    """The hashes earlier versions keyed records by: an HMAC with SECRET_KEY, or with one of
    SECRET_KEY_FALLBACKS if the key was rotated since."""
    return [
        salted_hmac(_HMAC_SALT, session_key, secret=secret, algorithm="sha256").hexdigest()
        for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    ]


def key_hashes(session_key: str) -> list[str]:
    """Every hash a record of ``session_key`` may be keyed by, the current digest first."""
    return [key_hash(session_key), *earlier_hashes(session_key)]
