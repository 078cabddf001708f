"""The tab consumer's former home, kept so that ``sessions_live.consumers.SessionConsumer``
goes on working: it is :mod:`sessions_live.sockets.consumer`'s."""

from sessions_live.sockets.consumer import SessionConsumer

__all__ = ["SessionConsumer"]
