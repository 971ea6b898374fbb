# elbo-grader: the HTTP service. Same install as the Makefile's, without the test extras.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's system libraries and a font, for the PDFs (docs/api.md §14).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY problems ./problems
COPY grader ./grader
# The instance directory exists in the image, owned by the service's user: a
# fresh named volume mounted there takes its owner, so the service can write.
RUN pip install . && useradd --create-home --uid 10001 elbo \
    && install -d -o elbo -g elbo -m 0700 /home/elbo/instance

USER elbo
# The default SQLite file (and the secret-key file) land in ./instance/ of the
# working directory; mount a volume there, or set
# ELBO_GRADER_DATABASE_URL=postgresql+psycopg://...
# Several containers must share ELBO_GRADER_SECRET_KEY (student tokens derive from it).
WORKDIR /home/elbo
VOLUME ["/home/elbo/instance"]
EXPOSE 8000

# slim has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# Migrate first (safe to run from every container at once), then serve;
# exec hands PID 1 to gunicorn so it gets the stop signal.
ENTRYPOINT ["sh", "-c", "elbo-grader init-db && exec \"$@\"", "--"]
CMD ["elbo-grader", "serve", "--host", "0.0.0.0"]
