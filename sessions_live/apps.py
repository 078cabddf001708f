from __future__ import annotations

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class SessionsLiveConfig(AppConfig):
    name = "sessions_live"
    verbose_name = _("Live sessions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sessions_live import checks, receivers  # noqa: F401  (checks, receivers)

        receivers.connect_model_receivers()

        try:
            from sessions_live import metrics  # noqa: F401  (registers the Prometheus metrics)
        except ImportError as error:
            if error.name != "prometheus_client":
                raise

        if apps.is_installed("django.contrib.admin"):
            from django.contrib import admin

            from sessions_live.admin import show_on_user_page

            show_on_user_page(admin.site)
