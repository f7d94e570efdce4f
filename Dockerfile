# Production image for web (gunicorn), worker and beat (celery); see docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (bulletin PDFs) needs pango; without harfbuzz-subset writing a PDF is 5–15× slower.
# The CJK fonts are what the PDFs and the bulletin templates name for Chinese text.
# postgresql-client: pg_dump/pg_restore of the backup service (bookworm's is 15, as compose's server).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-noto-cjk fonts-arphic-ukai \
      postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

ENV STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media

# Settings refuse to load without a strong SECRET_KEY when DEBUG is off; collectstatic reads no
# secret, so a random key given only to this one command is enough (not kept in the image's env).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" DEBUG=0 \
    python manage.py collectstatic --noinput

# Run as an unprivileged user; it owns only the uploads folder (mounted as a volume in compose,
# which inherits this ownership when the volume is first created).
RUN useradd --create-home --uid 1000 anjian \
 && mkdir -p /app/media /backups \
 && chown anjian:anjian /app/media /backups
USER anjian

EXPOSE 8000

# Bulletin PDFs take a few seconds to render; 120 s keeps a slow one from killing its worker.
# Request line and headers are capped here; the body by REQUEST_MAX_BYTES in the app.
CMD ["gunicorn", "anjian.wsgi", "--bind", "0.0.0.0:8000", "--timeout", "120", \
     "--limit-request-line", "4094", "--limit-request-fields", "50", \
     "--limit-request-field_size", "8190", "--access-logfile", "-"]
