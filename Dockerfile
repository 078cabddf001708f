# The sessions-live demo as a container image: the app, the demo project, static files
# collected, run by an unprivileged user under daphne. docker-compose.yml runs it behind nginx.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=project.settings \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    DEMO_VAR_DIR=/tmp/sessions-live

WORKDIR /app
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app

# Dependencies first, so a change to the demo does not reinstall them.
COPY pyproject.toml README.md LICENSE ./
COPY sessions_live ./sessions_live
# pip 25.1 reads PEP 735 dependency groups (--group): the demo's are not published extras.
RUN pip install "pip>=25.1" && pip install ".[daphne,redis,postgres]" --group demo

COPY manage.py ./
COPY project ./project
COPY templates ./templates
COPY static ./static
# collectstatic reads settings, which want a key; this one is used for nothing else.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input -v 0

USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# The same command as the app service of docker-compose.yml (a test keeps them equal).
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--proxy-headers", "--proxy-headers-host", "X-Real-IP", "--ping-interval", "20", "--ping-timeout", "30", "--websocket_timeout", "43200", "--application-close-timeout", "10", "--websocket-max-message-size", "65536", "project.asgi:application"]
