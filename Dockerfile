# reviewbot: the installed package on a slim Python, run as an unprivileged user.
# Build: docker build -t reviewbot .      Run: see compose.yaml and docs/deployment.md.

# --- build: a wheel of this project and of every dependency ---------------------------------------
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY prompts ./prompts
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# --- run: only the wheels, installed; no sources, no build tools ------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    REVIEWBOT_DB=/data/reviewbot.db
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin reviewbot \
    && mkdir -p /data && chown reviewbot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels reviewbot && rm -rf /wheels
USER reviewbot
WORKDIR /data
# The SQLite file (the default database) lives here; with PostgreSQL it holds nothing.
VOLUME ["/data"]
# SIGTERM: the bot finishes (or answers) the interactions in progress, then exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["reviewbot"]
CMD ["run"]
