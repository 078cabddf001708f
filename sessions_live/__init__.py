"""sessions-live: server-driven idle timeouts for Django sessions, live in every tab."""

__version__ = "0.1.0"
