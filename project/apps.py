from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "project"
    label = "demo"
    verbose_name = "sessions-live demo"
