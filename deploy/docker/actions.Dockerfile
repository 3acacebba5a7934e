# syntax=docker/dockerfile:1
#
# The psoas coach's action server (port 5055, GET /health): the custom actions
# and the part of coach/ they load (content, routines, the safety screen). It
# loads no speech code (tests/test_architecture.py), so none of the speech
# packages is installed: rasa-sdk (the base image's, the lock's version) and
# PyYAML are all it imports. Stateless: scale it freely.
#
# Build from the repository root:
#   docker build --platform linux/amd64 -f deploy/docker/actions.Dockerfile -t REGISTRY/psoas-coach-actions:TAG .
# Not built where it was written (no Docker engine there): see docs/deploy.md.

FROM rasa/rasa-sdk:3.6.2
USER root
ENV PYTHONUNBUFFERED=1
COPY deploy/docker/actions-requirements.txt /tmp/actions-requirements.txt
RUN python -m pip install --no-cache-dir --require-hashes -r /tmp/actions-requirements.txt \
 && rm /tmp/actions-requirements.txt \
 && python -c 'import sys, rasa_sdk; assert sys.version_info[:2] == (3, 10), sys.version; assert rasa_sdk.__version__ == "3.6.2", rasa_sdk.__version__'
# the base image's working directory, where its entrypoint.sh lives
WORKDIR /app
COPY content/ content/
COPY coach/ coach/
COPY actions/ actions/
RUN python -m compileall -q coach actions
USER 1001
EXPOSE 5055
# the base image's ENTRYPOINT (./entrypoint.sh) runs `python -m rasa_sdk` with these
CMD ["start", "--actions", "actions", "--port", "5055"]
