"""Django's LoginRequiredMiddleware: what sessions-live serves signed out stays reachable, and
an ended session still learns why it was signed out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import include, path

from sessions_live.metrics import metrics_view

from .helpers import age
from .urls import urlpatterns as test_urlpatterns

LOGIN_REQUIRED = "django.contrib.auth.middleware.LoginRequiredMiddleware"

#: This module is the URLconf of its tests: the test project's, plus the metrics view.
urlpatterns = [path("metrics/", metrics_view), path("", include(test_urlpatterns))]


@pytest.fixture(autouse=True)
def login_required(settings: Any) -> None:
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("sessions_live.middleware.SessionsLiveMiddleware"), LOGIN_REQUIRED
    )
    settings.MIDDLEWARE = middleware
    settings.ROOT_URLCONF = __name__


@pytest.mark.django_db
def test_the_metrics_view_needs_no_sign_in() -> None:
    response = Client().get("/metrics/")
    assert response.status_code == 200
    assert b"sessions_live_sessions" in response.content


@pytest.mark.django_db
def test_other_pages_still_need_it() -> None:
    response = Client().get("/api/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/api/"


def test_an_idle_session_is_told_why_before_login_is_required(
    signed_in: Callable[..., Client],
) -> None:
    client = signed_in()
    age(client, idle=601)
    response = client.get("/api/", headers={"accept": "text/html"})
    assert response.status_code == 302
    assert response["Location"] == "/login/?signed_out=idle&next=%2Fapi%2F"
    login = client.get(response["Location"])
    assert login.status_code == 200  # the login page is exempt, and renders signed out
    assert "You were signed out after 10 minutes of inactivity." in login.text
