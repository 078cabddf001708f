"""The Content-Security-Policy nonce of a request, for the script and style tags the app emits.

Django 6.0+ (``django.middleware.csp``) and django-csp both make the nonce lazily and put it in
the response header only if something read it while the page was rendered. Reading it here is
what puts it there, so a page whose own templates never touch the nonce still works.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest
from django.template import Context

#: The template variable Django's ``csp`` context processor fills (``django.utils.csp``).
CONTEXT_KEY = "csp_nonce"


def _django_get_nonce() -> Callable[[HttpRequest], object] | None:
    try:
        from django.middleware.csp import get_nonce
    except ImportError:  # Django 5.2 has no CSP of its own
        return None
    return get_nonce


_get_nonce = _django_get_nonce()


def csp_nonce(
    request: HttpRequest | None, context: Context | Mapping[str, Any] | None = None
) -> str | None:
    """The nonce for this response, evaluated (so the middleware sends it), or None.

    Looked for in the template context (Django's ``csp`` context processor, or a value a view
    put there), then on the request: Django's middleware (``get_nonce``), then django-csp's
    ``request.csp_nonce``. Both are lazy objects that are falsy until read: never test them for
    truth before turning them into text.
    """
    candidates = [context.get(CONTEXT_KEY) if context is not None else None]
    if request is not None:
        candidates.append(_get_nonce(request) if _get_nonce is not None else None)
        candidates.append(getattr(request, "csp_nonce", None))
    for candidate in candidates:
        if candidate is not None and (nonce := str(candidate)):
            return nonce
    return None
