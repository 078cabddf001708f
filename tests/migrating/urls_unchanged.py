"""The same URLconf with django-session-security's include left in, as it was before."""

from __future__ import annotations

from django.urls import include, path

from .urls import urlpatterns as migrated

urlpatterns = [*migrated, path("session_security/", include("session_security.urls"))]
