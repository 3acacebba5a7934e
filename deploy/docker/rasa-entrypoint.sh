#!/bin/sh
# The Rasa server image's entrypoint: `rasa` with the arguments it is given
# (the image's CMD, or the Helm chart's `args`), plus, for `rasa run`, those that
# come from the coach's settings, as scripts/run and coach.tools.cluster start
# it: `python -m coach.tools.rasa_args` prints them (today `--cors ORIGIN...`
# from PSOAS_CORS_ORIGINS; nothing when it is empty). A malformed setting stops
# the container here, with its name.
set -eu
set -f  # no filename expansion: "*" (any origin) stays "*"
if [ "${1:-}" = "run" ] && [ "${2:-}" != "actions" ]; then
  extra="$(python -m coach.tools.rasa_args)"
  # word splitting wanted: the arguments are origins, which hold no spaces
  # shellcheck disable=SC2086
  exec rasa "$@" $extra
fi
exec rasa "$@"
