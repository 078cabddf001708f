"""Every way Django ends a session's validity ends its record at once and tells its tabs:
a password change (a view, the admin, a shell, a data migration), a deactivated or deleted
account, a Django session deleted elsewhere, and sessions_live.ending from any code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps as global_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.state import ProjectState
from django.test import Client
from django.utils import timezone

from sessions_live import ending
from sessions_live.models import LiveSession

from .helpers import live_of
from .helpers import sign_in_with_form as sign_in
from .sockets import connect, frame

#: Endings are announced once the change commits: every test here commits for real.
pytestmark = pytest.mark.django_db(transaction=True)

HTML = {"accept": "text/html"}
#: Django's password change form, filled in by alice.
NEW = "n3w-Secret!"
CHANGE = {"old_password": "pw-alice", "new_password1": NEW, "new_password2": NEW}


def record(client: Client) -> LiveSession:
    return LiveSession.objects.get(pk=live_of(client).pk)


def reasons(*clients: Client) -> list[str]:
    return [record(client).end_reason for client in clients]


@pytest.fixture
def user(make_user: Callable[..., AbstractUser]) -> AbstractUser:
    return make_user("alice")


def test_django_s_password_change_view_keeps_this_session_and_ends_the_others(
    user: AbstractUser, endings: list[dict[str, Any]], logouts: list[dict[str, Any]]
) -> None:
    here, elsewhere = sign_in(user), sign_in(user)
    before = live_of(here)
    response = here.post(
        "/password/",
        CHANGE,
    )
    assert response.status_code == 302, response.content
    # update_session_auth_hash cycled the key and kept this session: the record followed.
    after = record(here)
    assert (after.pk, after.ended) == (before.pk, None)
    assert here.get("/page/", headers=HTML).status_code == 200
    assert reasons(elsewhere) == ["password_changed"]
    assert [e["reason"] for e in endings] == ["password_changed"]
    assert [e["live_session"].pk for e in endings] == [live_of(elsewhere).pk]
    assert len(logouts) == 1
    refused = elsewhere.get("/page/", headers=HTML)
    assert refused["Location"] == "/login/?signed_out=password_changed&next=%2Fpage%2F"


def test_a_view_that_changes_the_password_without_keeping_the_session_ends_it_too(
    user: AbstractUser, endings: list[dict[str, Any]]
) -> None:
    here, elsewhere = sign_in(user), sign_in(user)
    assert here.post("/set-password-only/", {"password": "n3w-Secret!"}).status_code == 200
    assert reasons(here, elsewhere) == ["password_changed", "password_changed"]
    assert len(endings) == 2
    assert here.get("/page/", headers=HTML)["Location"].startswith("/login/")


def test_a_password_set_in_a_shell_ends_every_session(
    user: AbstractUser, endings: list[dict[str, Any]]
) -> None:
    one, two = sign_in(user), sign_in(user)
    fresh = get_user_model().objects.get(pk=user.pk)  # what a script or shell holds
    fresh.set_password("n3w-Secret!")
    fresh.save()
    assert reasons(one, two) == ["password_changed", "password_changed"]
    assert {e["actor"] for e in endings} == {None}
    fresh.save()  # saved again, unchanged: nothing more ends
    assert len(endings) == 2


def test_a_password_changed_by_staff_in_the_admin_ends_every_session_of_that_user(
    user: AbstractUser, staff: Callable[..., Client]
) -> None:
    one, two = sign_in(user), sign_in(user)
    admin = staff("root", is_superuser=True)
    response = admin.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": "n3w-Secret!", "password2": "n3w-Secret!", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert reasons(one, two) == ["password_changed", "password_changed"]
    root = get_user_model().objects.get(username="root")
    assert {record(one).ended_by_id, record(two).ended_by_id} == {root.pk}
    assert record(admin).ended is None  # the admin's own session is not the user's


def test_a_data_migration_s_historical_user_ends_the_sessions_it_changes(
    user: AbstractUser,
) -> None:
    one = sign_in(user)
    historical = ProjectState.from_apps(global_apps).apps
    User = historical.get_model("auth", "User")
    assert User is not get_user_model()
    row = User.objects.get(pk=user.pk)
    row.password = "!"  # what a migration that disables passwords writes
    row.save()
    assert reasons(one) == ["password_changed"]


def test_a_deactivated_account_ends_its_sessions(user: AbstractUser) -> None:
    one, two = sign_in(user), sign_in(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert reasons(one, two) == ["deactivated", "deactivated"]
    assert one.get("/page/", headers=HTML)["Location"] == (
        "/login/?signed_out=deactivated&next=%2Fpage%2F"
    )


def test_a_deleted_account_ends_its_sessions_before_they_go(
    user: AbstractUser, endings: list[dict[str, Any]], logouts: list[dict[str, Any]]
) -> None:
    sign_in(user), sign_in(user)
    user.delete()
    assert [e["reason"] for e in endings] == ["user_deleted", "user_deleted"]
    assert len(logouts) == 2
    assert not LiveSession.objects.exists()  # the records went with the user


def test_saves_that_cannot_change_credentials_cost_no_query(
    user: AbstractUser, django_assert_num_queries: Any
) -> None:
    sign_in(user)
    user.last_login = timezone.now()
    with django_assert_num_queries(1):  # the UPDATE itself
        user.save(update_fields=["last_login"])
    with django_assert_num_queries(2):  # the credentials as stored, then the UPDATE
        user.save()


def test_a_rolled_back_password_change_ends_nothing(
    user: AbstractUser, endings: list[dict[str, Any]]
) -> None:
    one = sign_in(user)
    claimed = []

    def change_then_fail() -> None:
        with transaction.atomic():
            user.set_password("n3w-Secret!")
            user.save()
            claimed.append(record(one).end_reason)  # claimed in the transaction
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        change_then_fail()
    assert claimed == ["password_changed"]
    assert (endings, record(one).ended) == ([], None)


def test_a_session_flushed_elsewhere_ends_its_record(
    user: AbstractUser, endings: list[dict[str, Any]]
) -> None:
    one, two = sign_in(user), sign_in(user)
    SessionStore(one.session.session_key).flush()  # e.g. a "sign out everywhere" of the site
    assert reasons(one, two) == ["revoked", ""]
    assert [e["reason"] for e in endings] == ["revoked"]
    assert one.get("/page/", headers=HTML)["Location"].startswith("/login/")


def test_clearsessions_ends_the_records_of_the_rows_it_deletes(user: AbstractUser) -> None:
    gone, kept = sign_in(user), sign_in(user)
    Session.objects.filter(session_key=gone.session.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    call_command("clearsessions")
    assert reasons(gone, kept) == ["revoked", ""]


def test_a_view_that_flushes_its_own_session_ends_it_once_it_returns(
    user: AbstractUser, endings: list[dict[str, Any]]
) -> None:
    client = sign_in(user)
    live = live_of(client)
    assert client.get("/flush/").status_code == 200
    assert LiveSession.objects.get(pk=live.pk).end_reason == "revoked"
    assert len(endings) == 1


def test_signing_in_as_another_user_still_ends_the_first_as_a_sign_out(
    user: AbstractUser, make_user: Callable[..., AbstractUser]
) -> None:
    client = sign_in(user)
    first = live_of(client)
    make_user("bob")
    client.post("/login/", {"username": "bob", "password": "pw-bob"})
    assert LiveSession.objects.get(pk=first.pk).end_reason == "logout"


def test_the_public_api_ends_one_session_by_its_key_or_all_of_a_user(
    user: AbstractUser, staff: Callable[..., Client], endings: list[dict[str, Any]]
) -> None:
    one, two, three = sign_in(user), sign_in(user), sign_in(user)
    key = one.session.session_key
    assert ending.end_session(key, reason="logout") is True
    assert ending.end_session(key) is False  # over already: nothing twice
    assert not Session.objects.filter(session_key=key).exists()
    count = ending.end_user_sessions(user.pk, keep_session_key=three.session.session_key)
    assert count == 1
    assert reasons(one, two, three) == ["logout", "revoked", ""]
    assert [e["reason"] for e in endings] == ["logout", "revoked"]
    with pytest.raises(ValueError, match="'nonsense' is not a valid EndReason"):
        ending.end_user_sessions(user, reason="nonsense")


@pytest.mark.usefixtures("layer", "stop_sweeper", "_close_sockets")
async def test_every_open_tab_is_told_at_once(user: AbstractUser) -> None:
    """The push reaches the tabs of each ended session, on both layers: no deadline needed."""
    here, elsewhere, third = [await sync_to_async(sign_in)(user) for _ in range(3)]
    tabs = [await connect(client) for client in (here, elsewhere, third)]
    for tab in tabs:
        assert (await frame(tab))["type"] == "hello"

    await sync_to_async(here.post)(
        "/password/",
        CHANGE,
    )
    for tab in tabs[1:]:
        assert await frame(tab) == {
            "type": "expired",
            "reason": "password_changed",
            "redirect": "/login/?signed_out=password_changed",
        }
    # The tab of the session that was kept hears nothing of it: its next frame is the next
    # ending's.
    assert await ending.aend_session(await sync_to_async(lambda: here.session.session_key)())
    assert (await frame(tabs[0]))["reason"] == "revoked"


@pytest.mark.usefixtures("layer", "stop_sweeper", "_close_sockets")
async def test_a_deleted_account_s_tabs_are_told(user: AbstractUser) -> None:
    client = await sync_to_async(sign_in)(user)
    tab = await connect(client)
    assert (await frame(tab))["type"] == "hello"
    await user.adelete()
    assert (await frame(tab))["reason"] == "user_deleted"


def test_a_historical_model_before_sessions_live_s_tables_is_left_alone(
    user: AbstractUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = sign_in(user)
    """A data migration that runs before sessions-live's own migration must not query its
    missing table."""
    historical = ProjectState.from_apps(global_apps).apps
    User = historical.get_model("auth", "User")
    names = connection.introspection.table_names()
    tables = [name for name in names if "sessions_live" not in name]
    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: tables)
    row = User.objects.get(pk=user.pk)
    row.password = "!"
    row.save()  # no query of a missing table: nothing to end, and no error
    assert User.objects.get(pk=user.pk).password == "!"
    assert reasons(one) == [""]


def test_a_rolled_back_password_change_in_the_view_keeps_its_own_session_too(
    user: AbstractUser,
) -> None:
    here, elsewhere = sign_in(user), sign_in(user)
    assert here.post("/set-password-then-fail/", {"password": NEW}).status_code == 200
    assert reasons(here, elsewhere) == ["", ""]
    assert here.get("/page/", headers=HTML).status_code == 200


def test_a_view_that_changes_its_password_and_writes_its_session_answers_as_django_does(
    user: AbstractUser,
) -> None:
    client = sign_in(user)
    response = client.post("/set-password-and-note/", {"password": NEW})
    assert response.status_code == 200  # no SessionInterrupted: the session is left to Django
    assert reasons(client) == ["password_changed"]
    assert client.get("/page/", headers=HTML)["Location"] == (
        "/login/?signed_out=password_changed&next=%2Fpage%2F"
    )


def test_a_hash_upgraded_at_sign_in_is_no_password_change(
    user: AbstractUser, settings: Any
) -> None:
    """A canary on Django's check_password: a password hashed with a hasher that is no longer
    the first is saved again, rehashed, with ``_password`` cleared and only ``password``."""
    elsewhere = sign_in(user)
    settings.PASSWORD_HASHERS = ["tests.helpers.UpgradedHasher", *settings.PASSWORD_HASHERS]
    before = get_user_model().objects.get(pk=user.pk).password
    sign_in(user)  # checks the password, and upgrades its hash
    assert get_user_model().objects.get(pk=user.pk).password != before
    assert reasons(elsewhere) == [""]


def test_deleting_many_session_rows_costs_a_few_queries_however_many(
    user: AbstractUser, django_assert_max_num_queries: Any
) -> None:
    def expire(count: int) -> list[Client]:
        clients = [sign_in(user) for _ in range(count)]
        Session.objects.filter(session_key__in=[c.session.session_key for c in clients]).update(
            expire_date=timezone.now() - timezone.timedelta(seconds=1)
        )
        return clients

    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    reads = []
    for count in (5, 40):
        clients = expire(count)
        with CaptureQueriesContext(db) as queries:
            call_command("clearsessions")
        reads.append([q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")])
        assert set(reasons(*clients)) == {"revoked"}
    # Django's own read of the expired rows, then one for the rows still there and one for
    # their records: the same for 5 rows and for 40 (the writes are each ending's own).
    assert [len(found) for found in reads] == [3, 3], reads


def test_the_cache_engine_s_refusal_says_why_too(user: AbstractUser, settings: Any) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    here, elsewhere = sign_in(user), sign_in(user)
    assert here.post("/password/", CHANGE).status_code == 302
    assert elsewhere.get("/page/", headers=HTML)["Location"] == (
        "/login/?signed_out=password_changed&next=%2Fpage%2F"
    )


def email_in_hash(self: AbstractUser) -> str:
    """A session auth hash that hangs on the email address too, as some user models' do."""
    from django.utils.crypto import salted_hmac

    key = "tests.email_in_hash"
    return salted_hmac(key, self.password + self.email, algorithm="sha256").hexdigest()


def test_a_session_auth_hash_of_its_own_that_changes_ends_the_sessions(
    user: AbstractUser, monkeypatch: pytest.MonkeyPatch, endings: list[dict[str, Any]]
) -> None:
    """A user model whose hash hangs on more than the password: Django refuses its sessions
    when any of that changes, and so does sessions-live, at once (``revoked``)."""
    model = type(user)
    monkeypatch.setattr(model, "get_session_auth_hash", email_in_hash)
    here, elsewhere = sign_in(user), sign_in(user)
    fresh = model.objects.get(pk=user.pk)
    fresh.first_name = "Alice"
    fresh.save()  # the hash does not change: nothing ends
    assert reasons(here, elsewhere) == ["", ""]
    fresh.email = "alice@example.com"
    fresh.save()
    assert reasons(here, elsewhere) == ["revoked", "revoked"]
    assert elsewhere.get("/page/", headers=HTML)["Location"] == (
        "/login/?signed_out=revoked&next=%2Fpage%2F"
    )
