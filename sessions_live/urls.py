"""A signed-in user's own sessions: ``path("account/sessions/", include("sessions_live.urls"))``."""

from __future__ import annotations

from django.urls import path

from sessions_live import views

app_name = "sessions_live"

urlpatterns = [
    path("", views.my_sessions, name="my_sessions"),
    path("end/", views.end_session, name="end_session"),
    path("end-others/", views.end_other_sessions, name="end_other_sessions"),
    path("reauth/", views.reauth, name="reauth"),
]
