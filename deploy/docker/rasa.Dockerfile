# syntax=docker/dockerfile:1
#
# The psoas coach's Rasa server: REST, socket.io, voice, audio files and the
# web widget (/coach/) on port 5005, with the production profile
# (deploy/endpoints.prod.yml: PostgreSQL tracker store, Redis lock store, every
# value from the environment). Everything it needs is built here; nothing is
# downloaded when it runs, and no secret is baked in.
#
# Build from the repository root (requirements.lock is resolved for x86-64):
#   docker build --platform linux/amd64 -f deploy/docker/rasa.Dockerfile -t REGISTRY/psoas-coach-rasa:TAG .
# Not built where it was written (no Docker engine there): see docs/deploy.md.

# ---- the widget's socket.io client, from package-lock.json (channels/widget.py
# serves node_modules/socket.io-client/dist/socket.io.min.js and nothing else of it)
FROM node:22.12.0-bookworm-slim AS widget
WORKDIR /widget
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# ---- Rasa 3.6.21 with Ubuntu's espeak-ng and ffmpeg and requirements.lock
FROM rasa/rasa:3.6.21 AS base
USER root
# Telemetry off; a lock left by a replica killed mid-message expires after 15 s
# (Rasa's default is 60: docs/deploy.md, "Lock lifetime"). No secrets here:
# they come from the environment at run time.
ENV RASA_TELEMETRY_ENABLED=false \
    TICKET_LOCK_LIFETIME=15 \
    TF_CPP_MIN_LOG_LEVEL=3 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    PYTHONWARNINGS=ignore::DeprecationWarning \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/.matplotlib
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends espeak-ng ffmpeg \
 && rm -rf /var/lib/apt/lists/*
# The lock, hash-checked, over the image's own virtualenv (/opt/venv). The lock
# is for Python 3.10 (the image's). pocketsphinx 5.1.1 has no wheel for it, so
# it is compiled: the compilers are removed again in the same layer.
COPY requirements.lock /tmp/requirements.lock
RUN python -c 'import sys; assert sys.version_info[:2] == (3, 10), sys.version' \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends build-essential python3-dev \
 && python -m pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock \
 && apt-get purge -y --auto-remove build-essential python3-dev \
 && rm -rf /var/lib/apt/lists/* /tmp/requirements.lock \
 && python -c 'import rasa; assert rasa.__version__ == "3.6.21", rasa.__version__'

# ---- what the server loads, built once: the model, the recogniser's language
# models (from data/ and content/speech.yml) and every fixed text's audio
FROM base AS build
WORKDIR /build
COPY config.yml domain.yml ./
COPY data/ data/
COPY content/ content/
COPY coach/ coach/
COPY components/ components/
RUN rasa train --quiet --fixed-model-name psoas-coach --out models
RUN python -m coach.speech.lm
RUN python -m coach.tools.prerender_audio

# ---- the server
FROM base AS run
# Not /app: Rasa's Helm chart mounts its own endpoints.yml and credentials.yml
# there (docs/deploy.md); ours are the ones below.
WORKDIR /srv/psoas-coach
COPY config.yml domain.yml credentials.yml ./
COPY deploy/endpoints.prod.yml deploy/endpoints.prod.yml
COPY data/ data/
COPY content/ content/
COPY coach/ coach/
COPY components/ components/
COPY channels/ channels/
COPY stores/ stores/
COPY web/ web/
COPY --chmod=755 deploy/docker/rasa-entrypoint.sh /usr/local/bin/rasa-entrypoint
COPY --from=widget /widget/node_modules/socket.io-client/dist/socket.io.min.js node_modules/socket.io-client/dist/socket.io.min.js
COPY --from=build /build/models/ models/
# the audio cache is written at run time for texts that were not pre-rendered:
# the server's user (and group 0, for platforms that pick the user id) owns it;
# the code and the models stay read-only
COPY --from=build --chown=1001:0 /build/state/audio/ state/audio/
RUN python -m compileall -q channels coach components stores \
 && chmod -R g=u state
USER 1001
EXPOSE 5005
# `rasa` plus the arguments that come from the coach's settings (--cors from
# PSOAS_CORS_ORIGINS); the Helm chart's `args` replace the CMD, not this
ENTRYPOINT ["/usr/local/bin/rasa-entrypoint"]
CMD ["run", "--model", "models/psoas-coach.tar.gz", "--credentials", "credentials.yml", "--endpoints", "deploy/endpoints.prod.yml", "--port", "5005"]
