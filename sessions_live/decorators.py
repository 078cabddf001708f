"""View decorators: requests that are not activity, and pages the client is not put into."""

from sessions_live.passive import passive
from sessions_live.web.injection import without_client

__all__ = ["passive", "without_client"]
