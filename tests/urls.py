from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

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


named = [path("status/", api, name="status")]

urlpatterns = [
    path("page/", page, name="page"),
    path("api/", api, name="api"),
    path("cycle/", cycle, name="cycle"),
    path("poll/", poll, name="poll"),
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
