from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "project"
    label = "demo"
    verbose_name = "sessions-live demo"

    def ready(self) -> None:
        from . import audit  # noqa: F401  (connects the audit log's receivers)
