"""The CSP nonce's former home, kept so that ``sessions_live.nonce.csp_nonce`` goes on
working: it is :mod:`sessions_live.web.nonce`'s."""

from sessions_live.web.nonce import CONTEXT_KEY, csp_nonce

__all__ = ["CONTEXT_KEY", "csp_nonce"]
