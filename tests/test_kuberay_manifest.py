"""docker/kuberay/rayservice.yaml: parses, and the keys KubeRay and our app rely on are there and consistent.

No KubeRay CRD schema is installable here (PyPI/npm), so this is a parse + key check: the RayService shape
(ray.io/v1), the Serve application pointing at our builder with deployment names the builder really creates,
probes on /health and /ready, the database URL from the Secret, and a GPU worker group on the CUDA image.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from server.config import load_config

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "docker" / "kuberay" / "rayservice.yaml"


def documents() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(MANIFEST.read_text())}


def ray_pin() -> str:
    match = re.search(r'"ray\[serve\]==([0-9.]+)"', (REPO / "pyproject.toml").read_text())
    assert match, "pyproject.toml pins ray[serve]"
    return match.group(1)


def serve_app() -> dict[str, Any]:
    service = documents()["RayService"]
    (app,) = yaml.safe_load(service["spec"]["serveConfigV2"])["applications"]
    return app


def test_manifest_kinds_and_versions() -> None:
    docs = documents()
    assert set(docs) == {"Secret", "PersistentVolumeClaim", "RayService"}
    service = docs["RayService"]
    assert service["apiVersion"] == "ray.io/v1"
    cluster = service["spec"]["rayClusterConfig"]
    assert cluster["rayVersion"] == ray_pin()
    assert f'"ray[serve]=={ray_pin()}"' in (REPO / "docker" / "kuberay" / "Dockerfile").read_text()
    assert docs["PersistentVolumeClaim"]["spec"]["accessModes"] == ["ReadWriteMany"]


def test_serve_config_matches_the_application_builder() -> None:
    app = serve_app()
    module_name, _, attr = app["import_path"].partition(":")
    assert module_name == "server.backends.ray_serve" and attr == "app_builder"
    config_path = app["args"]["config"]
    assert config_path.startswith("/app/")
    config = load_config(REPO / config_path.removeprefix("/app/"))
    expected = {"ingress", "stages"} | {f"model-{name}" for name in config.models}
    deployments = {d["name"]: d for d in app["deployments"]}
    assert set(deployments) == expected
    for name in expected - {"ingress", "stages"}:
        assert deployments[name]["ray_actor_options"]["num_gpus"] > 0
    # Read, not imported: importing would need Ray in the fast tier.
    source = ast.parse((REPO / (module_name.replace(".", "/") + ".py")).read_text())
    assert attr in {node.name for node in source.body if isinstance(node, ast.FunctionDef)}


def test_head_probes_secret_and_gpu_worker_group() -> None:
    docs = documents()
    cluster = docs["RayService"]["spec"]["rayClusterConfig"]
    head = cluster["headGroupSpec"]["template"]["spec"]["containers"][0]
    assert head["livenessProbe"]["httpGet"]["path"] == "/health"
    assert head["startupProbe"]["httpGet"]["path"] == "/health"
    assert head["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert {p["containerPort"] for p in head["ports"]} >= {6379, 8000}
    env = {e["name"]: e for e in head["env"]}
    secret_ref = env["PULSE_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    secret = docs["Secret"]
    assert secret_ref["name"] == secret["metadata"]["name"] and secret_ref["key"] in secret["stringData"]
    assert secret["stringData"][secret_ref["key"]].startswith("postgresql://")
    (group,) = cluster["workerGroupSpecs"]
    worker = group["template"]["spec"]["containers"][0]
    assert "cuda" in worker["image"] and "cpu" in head["image"]
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert {e["name"] for e in worker["env"]} == set(env)
    assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
    mounts = {m["mountPath"] for m in worker["volumeMounts"]}
    assert env["PULSE_DATA_DIR"]["value"] in mounts
