"""A context processor that reads the database, as many projects have one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest


def user_count(request: HttpRequest) -> dict[str, Any]:
    return {"user_count": get_user_model().objects.count()}
