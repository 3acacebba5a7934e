# Shared by scripts/run and scripts/test: a ready .venv from requirements.lock,
# and a trained model that matches config, domain and data.
# Sourced, not run. Works on a fresh machine: it installs what it needs.
#
# Output is what a person needs and nothing else: each step says what it does,
# what it found and how long it took; what the tools print (apt, uv, npm, rasa
# train, the pre-render) goes to state/setup.log (training: state/train.log)
# and is shown only when a step fails.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
export PATH="$VENV/bin:$PATH"
# Rasa and TensorFlow chatter: keep the logs readable.
export TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS="ignore::DeprecationWarning"
# Rasa's telemetry is off unless you turn it on (RASA_TELEMETRY_ENABLED=true).
export RASA_TELEMETRY_ENABLED="${RASA_TELEMETRY_ENABLED:-false}"
mkdir -p "$ROOT/state"
SETUP_LOG="$ROOT/state/setup.log"
TRAIN_LOG="$ROOT/state/train.log"

if [ -t 2 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m' TTY=1; else BOLD="" PLAIN="" TTY=""; fi
log() { printf '%s[psoas]%s %s\n' "$BOLD" "$PLAIN" "$*" >&2; }

# Numbered steps: `steps N` once, then `step "what"` ... `step_done "result"`.
STEPS=0 STEP=0 STEP_TEXT="" STEP_STARTED=0
steps() { STEPS="$1"; STEP=0; }
took() {
  local s=$((SECONDS - $1))
  if [ "$s" -ge 60 ]; then printf '%dm %02ds' $((s / 60)) $((s % 60)); else printf '%d s' "$s"; fi
}
step_label() {
  if [ "$STEPS" -gt 0 ]; then printf '%s[%d/%d]%s %s' "$BOLD" "$STEP" "$STEPS" "$PLAIN" "$STEP_TEXT"
  else printf '%s[psoas]%s %s' "$BOLD" "$PLAIN" "$STEP_TEXT"; fi
}
step() {
  STEP=$((STEP + 1)) STEP_TEXT="$*" STEP_STARTED=$SECONDS
  if [ -n "$TTY" ]; then step_label >&2; else { step_label; printf '...\n'; } >&2; fi
}
# progress within a step: on a terminal the step's line is rewritten; in a log
# (CI, a pipe) a line is added
step_progress() {
  if [ -n "$TTY" ]; then { printf '\r\033[K'; step_label; printf ': %s' "$*"; } >&2
  else printf '      %s\n' "$*" >&2; fi
}
step_done() {
  { [ -n "$TTY" ] && printf '\r\033[K'; step_label; printf ': %s (%s)\n' "${1:-done}" "$(took "$STEP_STARTED")"; } >&2
}
# a failed step: what failed, the end of its output, where the rest is
step_failed() {
  local what="$1" logfile="${2:-$SETUP_LOG}"
  step_done "FAILED"
  log "$what failed; the end of its output ($logfile):"
  tail -n 30 "$logfile" >&2
  exit 1
}
# runs a command with its output in the setup log; a failure ends the script
quietly() {
  printf '\n=== %s: %s\n' "$(date '+%F %T')" "$*" >>"$SETUP_LOG"
  "$@" >>"$SETUP_LOG" 2>&1 || step_failed "'$*'"
}

find_python310() {
  local py
  for py in "$(pyenv which python3.10 2>/dev/null)" \
            "$(PYENV_VERSION=3.10.13 pyenv which python 2>/dev/null)" \
            "$(command -v python3.10 2>/dev/null)"; do
    if [ -n "$py" ] && "$py" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  return 1
}

ensure_venv() {
  local stamp="$VENV/.requirements.sha256" want
  step "Python packages (.venv, from requirements.lock)"
  want="$(sha256sum requirements.lock | cut -d' ' -f1)"
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    step_done "up to date"
    return 0
  fi
  local py
  py="$(find_python310)" || { step_done "FAILED"; log "Python 3.10 is needed (Rasa 3.6 does not run on 3.11+): install it with pyenv."; exit 1; }
  if ! "$VENV/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    rm -rf "$VENV"
    quietly "$py" -m venv "$VENV"
  fi
  [ -x "$VENV/bin/uv" ] || quietly "$VENV/bin/python" -m pip install --disable-pip-version-check uv
  step_progress "installing (hash-checked)"
  quietly "$VENV/bin/uv" pip install --python "$VENV/bin/python" --require-hashes -r requirements.lock
  echo "$want" > "$stamp"
  step_done "installed"
}

# The model is trained again only when its inputs changed (config, domain,
# data/, the Rasa version: coach.tools.training_inputs says which); Rasa's graph
# cache in .rasa/cache then retrains only the parts whose inputs changed.
# `--quiet`: in a back-to-back run at Rasa's default log level the same
# training took 178 s instead of 145 (2026-12-06, empty cache, 2 cores;
# docs/benchmarks.md, "Training and the first run"), so progress is the time
# so far against the usual time, not DIET's epochs (which only the default
# log level prints).
TRAINING_ESTIMATE="about 2.5 min on 2 cores"
ensure_model() {
  local why
  step "the language model"
  if why="$(python -m coach.tools.training_inputs --check)"; then
    step_done "$why"
    return 0
  fi
  step_progress "training ($TRAINING_ESTIMATE), because $why"
  mkdir -p models
  : >"$TRAIN_LOG"
  rasa train --quiet --fixed-model-name psoas-coach --out models >>"$TRAIN_LOG" 2>&1 &
  local pid=$! shown=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if [ -n "$TTY" ] || [ $((SECONDS - shown)) -ge 30 ]; then
      step_progress "training: $(took "$STEP_STARTED") so far ($TRAINING_ESTIMATE in all)"
      shown=$SECONDS
    fi
  done
  wait "$pid" || step_failed "training (rasa train)" "$TRAIN_LOG"
  python -m coach.tools.training_inputs --record
  step_done "trained"
}

# The speech recogniser's language models are built from the same data/ (and
# content/speech.yml) whenever those change: recognition matches what NLU knows.
ensure_speech_models() {
  local said
  step "the recogniser's language models (from data/)"
  said="$(python -m coach.speech.lm --if-stale 2>>"$SETUP_LOG")" || step_failed "building the speech models"
  printf '%s\n' "$said" >>"$SETUP_LOG"
  case "$said" in *"up to date"*) step_done "up to date" ;; *) step_done "built" ;; esac
}

# Debian packages: espeak-ng (the offline voice) and ffmpeg (browsers' WebM,
# OGG and MP4 recordings) to run; with "scale" (scripts/run --scale) also
# PostgreSQL, Redis and HAProxy; with "test", all of those and Chromium and its
# driver for the browser tests and flite for the voice benchmark. Node.js
# serves as the npm client. Installs only what is missing; sudo only when not root.
ensure_system_packages() {
  local missing=() sudo="" extra=""
  case "${1:-}" in
    test) extra=", PostgreSQL, Redis, HAProxy, Chromium, flite" ;;
    scale) extra=", PostgreSQL, Redis, HAProxy" ;;
  esac
  step "system packages (espeak-ng, ffmpeg, Node.js$extra)"
  command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
  command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${1:-}" = "test" ] || [ "${1:-}" = "scale" ]; then
    compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  fi
  if [ "${1:-}" = "test" ]; then
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    # another synthesizer's voices for bench/voice (held-out test voices)
    command -v flite >/dev/null 2>&1 || missing+=(flite)
  fi
  if [ "${#missing[@]}" -eq 0 ]; then
    step_done "already installed"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { step_done "FAILED"; log "need root or sudo to install: ${missing[*]}"; exit 1; }
    sudo="sudo"
  fi
  step_progress "installing ${missing[*]} (apt)"
  quietly $sudo apt-get update
  quietly $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
  step_done "installed ${missing[*]}"
}

# The web widget's browser library (socket.io client, served locally) from
# package-lock.json; with "test", also playwright-core and rasa-webchat.
ensure_node_modules() {
  local mode="${1:-run}" stamp="node_modules/.psoas-lock.sha256" want
  step "the widget's packages (npm, from package-lock.json)"
  want="$(sha256sum package-lock.json | cut -d" " -f1)-$mode"
  # a test install has everything a run needs
  if [ -f "$stamp" ] && { [ "$(cat "$stamp")" = "$want" ] \
      || { [ "$mode" = "run" ] && [ "$(cat "$stamp")" = "${want%-run}-test" ]; }; }; then
    step_done "up to date"
    return 0
  fi
  if [ "$mode" = "test" ]; then
    quietly npm ci --no-audit --no-fund --loglevel=error
  else
    quietly npm ci --omit=dev --no-audit --no-fund --loglevel=error
  fi
  echo "$want" > "$stamp"
  step_done "installed"
}
