# One image for both roles: the front end (the default command) and the workers
# (`hubhooks worker app.py`, as docker-compose.yml's worker service runs it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    GRADIO_SERVER_NAME=0.0.0.0

# UID 1000: the user a Hugging Face Docker Space runs as.
RUN groupadd --gid 1000 hubhooks \
    && useradd --create-home --uid 1000 --gid 1000 --shell /usr/sbin/nologin hubhooks

WORKDIR /app

# Dependencies first, read from pyproject.toml alone, so that a code change reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; project = tomllib.load(open('pyproject.toml', 'rb'))['project']; open('/tmp/requirements.txt', 'w').write('\n'.join(project['dependencies']))" \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The code, installed in place (editable) so that it exists once, in /app, where `app.py` is:
# jobs name the app by the path the worker resolves from this same directory.
COPY README.md app.py ./
COPY service ./service
COPY workers ./workers
RUN pip install --no-cache-dir --no-deps --editable .

# hubhooks, by number: an orchestrator's runAsNonRoot can only check a numeric user.
USER 1000:1000

EXPOSE 7860

# Liveness of the front end (the slim image has no curl). A worker serves no HTTP:
# docker-compose.yml gives the worker service its own check (registered with Redis).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('GRADIO_SERVER_PORT', '7860'), timeout=4)"]

CMD ["hubhooks", "serve", "app.py"]
