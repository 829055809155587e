# syntax=docker/dockerfile:1
# One image for every process: web (the default CMD), and, with another command, the Celery
# worker, beat and the one-shot migrate job (see docker-compose.yml and docs/deployment.md).
FROM python:3.11-slim

# The project runs from /app (its templates, static files and locale live beside manage.py);
# PYTHONPATH lets django-admin and `python -c` find it from anywhere too.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# gettext provides msgfmt for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app

WORKDIR /app

# Production dependencies first, from pyproject.toml alone, so a code change does not reinstall
# them (the dev extra is not installed).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project; the source stays owned by root, read-only to the app user.
COPY . .

# Run from the project root: there it finds ./locale by itself. (`cd locale && django-admin
# compilemessages` stops with "This script should be run from the Django Git checkout or your
# project or app tree" when DJANGO_SETTINGS_MODULE is not set.)
RUN django-admin compilemessages

# var/ is the only place the app writes: settings create it on import, seed_demo writes its
# credentials file there, and var/media is the mount point of the `media` volume (a new named
# volume takes this directory's owner).
RUN mkdir -p var/static var/media \
    && chown -R app:app var

USER app

# Build-only environment: DEBUG=true spares the build a real SECRET_KEY; STATIC_MANIFEST=true
# gives the hashed, compressed files that the production settings (DEBUG off) serve through
# whitenoise. Nothing here persists into the running containers.
RUN DEBUG=true STATIC_MANIFEST=true python manage.py collectstatic --noinput

EXPOSE 8000

# Shell form so ${WEB_CONCURRENCY:-3} is expanded at start; exec so gunicorn gets the signals.
CMD ["sh", "-c", "exec gunicorn marketplace.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --access-logfile -"]
