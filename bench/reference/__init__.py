"""The reference for benchmark 1: a tiny project protected by django-session-security.

It polls the server from JavaScript (a ping at the warning, another at the expiry), where
sessions-live pushes over a WebSocket. Served by daphne like the demo::

    DJANGO_SETTINGS_MODULE=bench.reference.settings SECRET_KEY=... DATABASE_URL=... \
        daphne bench.reference.asgi:application
"""
