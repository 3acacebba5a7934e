"""The deployment files (docs/deploy.md) hold together, checked without Docker,
Helm or a cluster:

- the images (``deploy/docker/``): every file a Dockerfile copies is in the build
  context (and not left out by ``.dockerignore``) or comes from an earlier
  stage; base images are pinned to versions, the lock's for Rasa and rasa-sdk;
  no ``ENV`` or ``ARG`` carries a secret; neither image runs as root; the Rasa
  image runs the production profile and holds every package Rasa loads by name;
  the action image installs exactly what the actions load beyond rasa-sdk;
- the Helm values (``deploy/helm/``) and manifests (``deploy/k8s/``): they parse;
  every variable of ``deploy/endpoints.prod.yml`` is given to the Rasa servers,
  secrets only from a Secret; telemetry stays off; the pieces point at one
  another (the action server's URL, the pod labels).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import yaml
from packaging.utils import canonicalize_name

from tests.support.distributions import distribution_closure, module_owners, requirement_blocks
from tests.support.dockerfiles import (
    Stage,
    ignore_patterns,
    ignored,
    image_tag,
    parse,
    parse_copy,
    variables,
    words,
)

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "deploy" / "docker"
RASA_DOCKERFILE = DOCKER / "rasa.Dockerfile"
ACTIONS_DOCKERFILE = DOCKER / "actions.Dockerfile"
DOCKERFILES = (RASA_DOCKERFILE, ACTIONS_DOCKERFILE)
ACTIONS_REQUIREMENTS = DOCKER / "actions-requirements.txt"
RASA_VALUES = ROOT / "deploy" / "helm" / "rasa-values.yaml"
ACTIONS_VALUES = ROOT / "deploy" / "helm" / "actions-values.yaml"
PROD_ENDPOINTS = ROOT / "deploy" / "endpoints.prod.yml"
SECRET_NAME = re.compile(r"PASSW(OR)?D|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL", re.IGNORECASE)
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
VERSION_TAG = re.compile(r"\d+\.\d+(\.\d+)*([-.][A-Za-z0-9.]+)*")
# what the rasa chart (1.17.8) always sets itself (templates/_containers-env.yaml)
RASA_CHART_ENV = {"RASA_TELEMETRY_ENABLED", "MPLCONFIGDIR", "TF_CPP_MIN_LOG_LEVEL"}
RASA_CHART_ENV |= {"RASA_TOKEN", "JWT_SECRET"}


def load(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def final(path: Path) -> Stage:
    return parse(path)[-1]


def command(path: Path) -> List[str]:
    """The final stage's CMD."""
    cmd = final(path).last("CMD")
    assert cmd is not None, f"{path.name} has no CMD"
    return words(cmd.args)


def option(arguments: List[str], name: str) -> str:
    return arguments[arguments.index(name) + 1]


def env_of(values: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {item["name"]: item for item in values.get("extraEnv") or []}


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def locked(name: str) -> str:
    """The version requirements.lock pins ``name`` to."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    found = re.search(rf"^{re.escape(name)}==(\S+)", text, re.MULTILINE)
    assert found, f"{name} is not in requirements.lock"
    return found.group(1)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_file_a_dockerfile_copies_is_in_the_context_or_an_earlier_stage(
    dockerfile: Path,
) -> None:
    patterns = ignore_patterns(ROOT / ".dockerignore")
    stages = parse(dockerfile)
    problems = []
    for index, stage in enumerate(stages):
        earlier = {s.name: s for s in stages[:index] if s.name}
        for instruction in stage.all("COPY") + stage.all("ADD"):
            copy = parse_copy(instruction.args)
            if copy.stage is not None:
                source_stage = earlier.get(copy.stage)
                if source_stage is None:
                    problems.append(f"COPY --from={copy.stage}: no earlier stage of that name")
                    continue
                workdir = source_stage.last("WORKDIR")
                for source in copy.sources:
                    # built there: under that stage's working directory
                    if workdir is None or not source.startswith(workdir.args.rstrip("/") + "/"):
                        problems.append(f"{source} is not under {copy.stage}'s WORKDIR")
                continue
            for source in copy.sources:
                if not (ROOT / source).exists():
                    problems.append(f"{source} is not in the repository")
                elif ignored(source, patterns):
                    problems.append(f"{source} is left out by .dockerignore")
    assert problems == []


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_base_images_are_pinned_to_versions(dockerfile: Path) -> None:
    stages = parse(dockerfile)
    names = {s.name for s in stages if s.name}
    for stage in stages:
        if stage.image in names:
            continue
        tag = image_tag(stage.image)
        assert tag and (tag.startswith("sha256:") or VERSION_TAG.fullmatch(tag)), stage.image


def test_the_base_images_are_the_locked_rasa_and_rasa_sdk() -> None:
    images = {stage.image for path in DOCKERFILES for stage in parse(path)}
    assert f"rasa/rasa:{locked('rasa')}" in images
    assert f"rasa/rasa-sdk:{locked('rasa-sdk')}" in images


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_no_env_or_arg_carries_a_secret(dockerfile: Path) -> None:
    for stage in parse(dockerfile):
        for instruction in stage.all("ENV") + stage.all("ARG"):
            for name, value in variables(instruction).items():
                assert not (SECRET_NAME.search(name) and value), f"{name} is baked in"
                assert not re.search(r"://[^/\s]*:[^/\s]*@", value), f"{name} holds a credential"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_the_images_do_not_run_as_root(dockerfile: Path) -> None:
    user = final(dockerfile).last("USER")
    assert user is not None, "the final stage sets no USER"
    assert user.args.split(":")[0] not in {"root", "0"}


def test_the_rasa_image_runs_the_production_profile_as_the_helm_values_do() -> None:
    run = command(RASA_DOCKERFILE)
    assert run[0] == "run"
    assert option(run, "--endpoints") == "deploy/endpoints.prod.yml"
    assert option(run, "--credentials") == "credentials.yml"
    assert option(run, "--model") == "models/psoas-coach.tar.gz"
    assert "--enable-api" not in run and "--cors" not in run
    # the chart always passes arguments of its own unless `args` replaces them
    assert [str(a) for a in load(RASA_VALUES)["args"]] == run


def test_the_rasa_image_adds_the_arguments_the_settings_give_as_scripts_run_does() -> None:
    entrypoint = final(RASA_DOCKERFILE).last("ENTRYPOINT")
    assert entrypoint is not None
    program = words(entrypoint.args)[0]
    copies = [parse_copy(i.args) for i in final(RASA_DOCKERFILE).all("COPY")]
    script = next(c.sources[0] for c in copies if c.destination == program)
    assert "python -m coach.tools.rasa_args" in (ROOT / script).read_text(encoding="utf-8")
    assert (ROOT / "coach" / "tools" / "rasa_args.py").is_file()


def test_telemetry_is_off_and_locks_are_short_lived() -> None:
    env: Dict[str, str] = {}
    for stage in parse(RASA_DOCKERFILE):
        for instruction in stage.all("ENV"):
            env.update(variables(instruction))
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert env["TICKET_LOCK_LIFETIME"] == "15"
    # the chart sets RASA_TELEMETRY_ENABLED from this, over the image's value
    assert load(RASA_VALUES)["applicationSettings"]["telemetry"]["enabled"] is False


def test_the_rasa_image_holds_every_package_rasa_loads_by_name() -> None:
    sources = {
        source.rstrip("/")
        for instruction in final(RASA_DOCKERFILE).all("COPY")
        for source in parse_copy(instruction.args).sources
    }
    config = load(ROOT / "config.yml")
    named = [str(key) for key in load(ROOT / "credentials.yml")]
    named += [c["name"] for c in config["pipeline"] + config["policies"]]
    named += [str(v.get("type", "")) for v in load(PROD_ENDPOINTS).values() if isinstance(v, dict)]
    packages = {name.split(".")[0] for name in named if "." in name}
    assert packages and packages | {"coach"} <= sources
    for needed in ("credentials.yml", "domain.yml", "deploy/endpoints.prod.yml", "web", "content"):
        assert needed in sources


def test_the_widget_script_is_copied_where_the_widget_channel_serves_it_from() -> None:
    served = ("node_modules", "socket.io-client", "dist", "socket.io.min.js")
    source = (ROOT / "channels" / "widget.py").read_text(encoding="utf-8")
    assert " / ".join(f'"{part}"' for part in served) in source
    destinations = [parse_copy(i.args).destination for i in final(RASA_DOCKERFILE).all("COPY")]
    assert "/".join(served) in destinations


def test_the_action_image_copies_the_actions_and_what_they_read() -> None:
    sources = {
        source.rstrip("/")
        for instruction in final(ACTIONS_DOCKERFILE).all("COPY")
        for source in parse_copy(instruction.args).sources
    }
    assert {"actions", "coach", "content"} <= sources
    assert command(ACTIONS_DOCKERFILE)[:3] == ["start", "--actions", "actions"]


def test_the_action_image_requirements_are_the_locks_own() -> None:
    lock = requirement_blocks((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    ours = requirement_blocks(ACTIONS_REQUIREMENTS.read_text(encoding="utf-8"))
    assert ours
    for pin, hashes in ours.items():
        assert pin in lock, f"{pin} is not the lock's version"
        assert hashes and hashes == lock[pin], f"{pin}: not the lock's hashes"


def test_the_action_image_installs_exactly_what_the_actions_load_beyond_rasa_sdk() -> None:
    """The probe of tests/test_architecture.py: what `rasa run actions` loads,
    less what a bare interpreter loads, by distribution."""
    probe = (
        "import json, sys\n"
        "bare = set(sys.modules)\n"
        "from rasa_sdk.executor import ActionExecutor\n"
        "ActionExecutor().register_package('actions')\n"
        "print(json.dumps(sorted(set(sys.modules) - bare)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    owners = module_owners()
    tops = {m.split(".")[0] for m in loaded} - set(sys.stdlib_module_names) - {"actions", "coach"}
    # what is not a distribution's: the interpreter's own (__mp_main__, Cython's runtime)
    unowned = {t for t in tops if t not in owners}
    assert all(t.startswith("_") or t == "cython_runtime" for t in unowned), unowned
    used = {d for top in tops for d in owners.get(top, set())}
    installed = {
        canonicalize_name(pin.split("==")[0])
        for pin in requirement_blocks(ACTIONS_REQUIREMENTS.read_text(encoding="utf-8"))
    }
    base = distribution_closure("rasa-sdk")
    assert used - base == installed


def test_the_dockerignore_keeps_out_what_is_built_or_downloaded_here() -> None:
    patterns = ignore_patterns(ROOT / ".dockerignore")
    for path in (
        ".venv",
        "node_modules",
        "models",
        "state",
        "results",
        "test-output",
        ".rasa",
        "bench/out",
        "coach/__pycache__",
    ):
        assert ignored(path, patterns), path
    for path in ("coach", "requirements.lock", "deploy/endpoints.prod.yml", "bench"):
        assert not ignored(path, patterns), path


def test_the_helm_values_and_manifests_parse() -> None:
    for path in sorted((ROOT / "deploy" / "helm").glob("*.yaml")):
        assert isinstance(load(path), dict), path
    manifests = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
    for path in manifests:
        with open(path, encoding="utf-8") as handle:
            for document in yaml.safe_load_all(handle):
                assert {"apiVersion", "kind", "metadata"} <= set(document), path
                assert document["metadata"]["name"], path


def test_every_variable_of_the_production_endpoints_is_given_to_the_rasa_servers() -> None:
    wanted = {m for s in strings(load(PROD_ENDPOINTS)) for m in ENV_REFERENCE.findall(s)}
    assert {"ACTION_SERVER_URL", "DB_HOST", "REDIS_HOST"} <= wanted
    given = env_of(load(RASA_VALUES))
    assert wanted - set(given) == set()
    for name in wanted:
        item = given[name]
        assert ("value" in item) != ("valueFrom" in item), name


def test_the_helm_values_take_secrets_only_from_a_secret() -> None:
    for path in (RASA_VALUES, ACTIONS_VALUES):
        values = load(path)
        for name, item in env_of(values).items():
            if SECRET_NAME.search(name):
                assert "value" not in item, f"{path.name}: {name} has a value"
                reference = item["valueFrom"]["secretKeyRef"]
                # the rasa chart owns a Secret named like the release: not that one
                assert reference["name"] != values.get("fullnameOverride"), name
        for text in strings(values):
            assert not re.search(r"://[^/\s]*:[^/\s]*@", text), f"{path.name}: {text}"


def test_the_rasa_servers_environment_does_not_clash_with_the_charts_own() -> None:
    values = load(RASA_VALUES)
    names: List[str] = [item["name"] for item in values["extraEnv"]]
    assert len(names) == len(set(names))
    assert not set(names) & RASA_CHART_ENV
    # off, so the chart adds no DB_*, REDIS_*, RABBITMQ_* or ACTION_SERVER_URL of its own
    endpoints = values["applicationSettings"]["endpoints"]
    assert not any(endpoints[k]["enabled"] for k in ("trackerStore", "lockStore", "eventBroker"))
    for subchart in ("postgresql", "redis", "rabbitmq", "rasa-action-server", "duckling"):
        assert values[subchart]["install"] is False
        assert not values[subchart].get("external", {}).get("enabled", False)
    # no model downloaded over the one in the image (the chart's default does)
    assert values["applicationSettings"]["initialModel"] == ""


def test_the_rasa_servers_reach_the_action_servers_service() -> None:
    actions = load(ACTIONS_VALUES)
    url = env_of(load(RASA_VALUES))["ACTION_SERVER_URL"]["value"]
    assert url == f"http://{actions['fullnameOverride']}:{actions['service']['port']}/webhook"
    assert actions["applicationSettings"]["port"] == 5055


def test_replicas_probes_and_resources_are_set() -> None:
    for path, health in ((RASA_VALUES, "/"), (ACTIONS_VALUES, "/health")):
        values = load(path)
        assert values["replicaCount"] == 2
        for probe in ("readinessProbe", "livenessProbe"):
            assert values[probe]["httpGet"]["path"] == health
        assert values["resources"]["requests"]["memory"]
        assert values["resources"]["limits"]["memory"]


def test_the_ingress_keeps_sessions_sticky_and_websockets_open() -> None:
    annotations = load(RASA_VALUES)["ingress"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert annotations[prefix + "affinity"] == "cookie"
    assert int(annotations[prefix + "proxy-read-timeout"]) >= 600
    assert int(annotations[prefix + "proxy-send-timeout"]) >= 600


def test_the_disruption_budgets_select_the_pods_the_charts_label() -> None:
    labels = [
        term["podAffinityTerm"]["labelSelector"]["matchLabels"]
        for values in (load(RASA_VALUES), load(ACTIONS_VALUES))
        for term in values["affinity"]["podAntiAffinity"][
            "preferredDuringSchedulingIgnoredDuringExecution"
        ]
    ]
    with open(ROOT / "deploy" / "k8s" / "pod-disruption-budgets.yaml", encoding="utf-8") as handle:
        budgets = [d for d in yaml.safe_load_all(handle) if d["kind"] == "PodDisruptionBudget"]
    assert sorted(str(b["spec"]["selector"]["matchLabels"]) for b in budgets) == sorted(
        str(label) for label in labels
    )
