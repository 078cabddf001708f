from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import include, path

from sessions_live import ending
from sessions_live.passive import passive

from . import third_party


@login_required
def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>protected page</p>", content_type="text/html")


def api(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@passive
def poll(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def cycle(request: HttpRequest) -> HttpResponse:
    request.session.cycle_key()  # what a password change does (update_session_auth_hash)
    return HttpResponse("cycled", content_type="text/html")


def cycle_kept(request: HttpRequest) -> HttpResponse:
    ending.cycle_key(request)  # a step-up view's own cycle, as docs/ending.md says to make it
    return HttpResponse("cycled", content_type="text/html")


@login_required
def set_password_only(request: HttpRequest) -> HttpResponse:
    """A password change that does not keep the session (no update_session_auth_hash)."""
    request.user.set_password(request.POST["password"])
    request.user.save()
    return HttpResponse("changed", content_type="text/html")


@login_required
def form_page(request: HttpRequest) -> HttpResponse:
    """A page with a form and the client (the CSRF token comes with both)."""
    return render(request, "tests/form_page.html")


@login_required
def set_password_then_fail(request: HttpRequest) -> HttpResponse:
    """A password change that rolls back (a later step of the view failed, and was caught)."""
    try:
        with transaction.atomic():
            request.user.set_password(request.POST["password"])
            request.user.save()
            raise RuntimeError("a later step failed")
    except RuntimeError:
        pass
    return HttpResponse("not changed", content_type="text/html")


@login_required
def set_password_and_note(request: HttpRequest) -> HttpResponse:
    """A password change (not keeping the session) by a view that writes to its session."""
    request.user.set_password(request.POST["password"])
    request.user.save()
    request.session["note"] = "changed"
    return HttpResponse("changed", content_type="text/html")


def flush(request: HttpRequest) -> HttpResponse:
    request.session.flush()  # a sign-out that sends no user_logged_out
    return HttpResponse("flushed", content_type="text/html")


named = [path("status/", api, name="status")]

urlpatterns = [
    path("page/", page, name="page"),
    path("api/", api, name="api"),
    path("cycle/", cycle, name="cycle"),
    path("cycle-kept/", cycle_kept),
    path("poll/", poll, name="poll"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="tests/password_change.html", success_url="/page/"
        ),
        name="password_change",
    ),
    path("set-password-only/", set_password_only),
    path("flush/", flush),
    path("set-password-then-fail/", set_password_then_fail),
    path("set-password-and-note/", set_password_and_note),
    path("with-client/", form_page),
    path("passive-path/", api, name="passive_path"),
    path("passive-name/", api, name="passive_name"),
    path("ns/", include((named, "monitor"))),
    path("login/", auth_views.LoginView.as_view(template_name="tests/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Sign-in pages of other kinds: showing neither messages nor the tag, or both.
    *(
        path(
            f"login-{name}/", auth_views.LoginView.as_view(template_name=f"tests/login_{name}.html")
        )
        for name in ("plain", "both", "tag_first")
    ),
    path("sessions/", include("sessions_live.urls")),
    path("admin/", admin.site.urls),
    path("other/", include((third_party.urlpatterns, "other"))),
]
