"""Why the visitor was signed out, told through Django's messages framework, for sign-in
pages whose templates are someone else's (the admin's, allauth's, Wagtail's): they show
messages already, and none of them has ``{% sessions_live_signed_out_message %}``.

The message is added while the login page's ``TemplateResponse`` is about to render (the
sign-in views of Django, its admin, allauth and Wagtail all answer with one) to an anonymous
visitor sent with ``?signed_out=<reason>``; only there, the page a signed-out tab is sent to
(:mod:`sessions_live.web.login_pages`), so that a link to another page cannot make it speak.
It is shown once, on that page, and never beside the tag:
- the tag renders it instead, and takes it out of the queue, if the page has not shown its
  messages yet; once they are shown, the tag renders nothing;
- a page that did not show its messages (its template has no loop over them) leaves none for
  the next page: the message is taken out of the queue once the page is rendered.

Taking one message out of the queue leans on ``BaseStorage._queued_messages``, which Django
does not document: tests/test_signed_out_notice.py pins it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.messages.storage.base import BaseStorage, Message
from django.http import HttpRequest

from sessions_live.core.vocabulary import EndReason
from sessions_live.web import login_pages, signed_out
from sessions_live.web.client_config import signed_out_message

#: The message's extra tags: a page's CSS or tests can find it (``.sessions-live-signed-out``).
EXTRA_TAGS = "sessions-live-signed-out"
#: Set on a request whose messages hold the notice.
QUEUED = "sessions_live_signed_out_notice"


def _storage(request: HttpRequest) -> BaseStorage | None:
    storage = getattr(request, "_messages", None)  # what MessageMiddleware sets
    return storage if isinstance(storage, BaseStorage) else None


def _queue(storage: BaseStorage) -> list[Message]:
    queued: list[Message] = storage._queued_messages  # type: ignore[attr-defined]  # pinned
    return queued


def _drop(storage: BaseStorage, notice: Message) -> bool:
    """Take ``notice`` (this very message) out of the queue; whether it was still there."""
    queue = _queue(storage)
    for index, queued in enumerate(queue):
        if queued is notice:
            del queue[index]
            return True
    return False


def add(request: HttpRequest) -> bool:
    """Queue the notice for a signed-out visitor sent to the login page with a reason (if
    messages are on); whether it was queued."""
    if request.method not in ("GET", "HEAD") or signed_out.REASON not in request.GET:
        return False
    if request.user.is_authenticated or not login_pages.is_login_page(request):
        return False
    storage = _storage(request)
    reason = request.GET.get(signed_out.REASON, "")
    text = signed_out_message(reason, signed_out.limit_of(request.GET, reason)) if reason else ""
    if storage is None or not text:
        return False
    level = messages.INFO if reason == EndReason.LOGOUT else messages.WARNING
    before = len(_queue(storage))
    messages.add_message(request, level, text, extra_tags=EXTRA_TAGS)
    if len(_queue(storage)) == before:  # dropped for being under MESSAGE_LEVEL
        return False
    setattr(request, QUEUED, _queue(storage)[-1])
    return True


def take(request: HttpRequest) -> bool:
    """For the tag: whether it should show the reason itself. Yes if no notice was queued,
    or if one was and the page has not shown it yet (it is taken out of the queue); no if
    the page's messages showed it already."""
    notice: Message | None = getattr(request, QUEUED, None)
    storage = _storage(request)
    if notice is None or storage is None:
        return True
    return _drop(storage, notice)


def forget_unshown(request: HttpRequest) -> None:
    """Once the page is rendered: drop the notice if it was not shown, so that it does not
    appear on the next page (after signing in)."""
    notice: Message | None = getattr(request, QUEUED, None)
    storage = _storage(request)
    if notice is not None and storage is not None:
        _drop(storage, notice)
