# Shared by scripts/run and scripts/test: a ready .venv from requirements.lock,
# and a trained model that matches config, domain and data.
# Sourced, not run. Works on a fresh machine: it installs what it needs.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
export PATH="$VENV/bin:$PATH"
# Rasa and TensorFlow chatter: keep the logs readable.
export TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS="ignore::DeprecationWarning"

log() { printf '\033[1m[psoas]\033[0m %s\n' "$*" >&2; }

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
  want="$(sha256sum requirements.lock | cut -d' ' -f1)"
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  local py
  py="$(find_python310)" || { log "Python 3.10 is needed (Rasa 3.6 does not run on 3.11+): install it with pyenv."; return 1; }
  if ! "$VENV/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    log "creating .venv with $py"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
  fi
  if [ ! -x "$VENV/bin/uv" ]; then
    log "installing uv into .venv"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check uv
  fi
  log "installing the locked dependencies (requirements.lock)"
  "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" --require-hashes -r requirements.lock
  echo "$want" > "$stamp"
}

# The model is stale when config, domain or training data changed since it
# was trained (content/ and code are read at run time and need no training).
training_fingerprint() {
  cat config.yml domain.yml $(find data -type f -name '*.yml' | sort) requirements.lock | sha256sum | cut -d' ' -f1
}

ensure_model() {
  local want have=""
  want="$(training_fingerprint)"
  [ -f models/.fingerprint ] && have="$(cat models/.fingerprint)"
  if [ "$want" = "$have" ] && [ -f models/psoas-coach.tar.gz ]; then
    log "model is up to date (models/psoas-coach.tar.gz)"
    return 0
  fi
  log "training the model (config, domain or data changed)"
  mkdir -p models
  rasa train --fixed-model-name psoas-coach --out models --quiet
  echo "$want" > models/.fingerprint
}

# The speech recogniser's language models are built from the same data/ (and
# content/speech.yml) whenever those change: recognition matches what NLU knows.
ensure_speech_models() {
  python -m coach.speech.lm --if-stale >&2
}

# Debian packages: espeak-ng (the offline voice) and ffmpeg (browsers' WebM,
# OGG and MP4 recordings) to run; with "test", also Chromium and its driver for
# the browser tests and flite for the voice benchmark. Node.js serves as the npm client. Installs only what is
# missing; sudo only when not root.
ensure_system_packages() {
  local missing=() sudo=""
  command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
  command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${1:-}" = "test" ]; then
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    # another synthesizer's voices for bench/voice (held-out test voices)
    command -v flite >/dev/null 2>&1 || missing+=(flite)
  fi
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { log "need root or sudo to install: ${missing[*]}"; return 1; }
    sudo="sudo"
  fi
  log "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The web widget's browser library (socket.io client, served locally) from
# package-lock.json; with "test", also playwright-core and rasa-webchat.
ensure_node_modules() {
  local mode="${1:-run}" stamp="node_modules/.psoas-lock.sha256" want
  want="$(sha256sum package-lock.json | cut -d" " -f1)-$mode"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  # a test install has everything a run needs
  if [ "$mode" = "run" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${want%-run}-test" ]; then
    return 0
  fi
  log "installing the widget's npm packages ($mode)"
  if [ "$mode" = "test" ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
  else
    npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2
  fi
  echo "$want" > "$stamp"
}
