"""Install once, everywhere: both images, ./scripts/serve, ./scripts/test and CI go through scripts/install."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.helpers import REPO

DOCKERFILES = [REPO / "docker" / "Dockerfile.cpu", REPO / "docker" / "Dockerfile.cuda"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_install_through_the_shared_script(dockerfile) -> None:
    text = dockerfile.read_text()
    runs = re.findall(r"^RUN (.+?)(?<!\\)$", text, flags=re.M | re.S)
    assert any("scripts/install" in run for run in runs)
    assert not any("pip install" in run for run in runs), "a second list of pip commands would drift"
    assert "COPY scripts/install ./scripts/install" in text


def test_serve_test_and_ci_use_the_same_script() -> None:
    env = (REPO / "scripts" / "_env.sh").read_text()
    assert '"$ROOT/scripts/install" "$VENV/bin/python"' in env
    assert "pip install" not in env
    for script in ("serve", "test"):
        assert "ensure_env" in (REPO / "scripts" / script).read_text()
    assert "./scripts/test" in (REPO / ".ci" / "run").read_text()
    for script in ("install", "_env.sh", "serve", "test", "check-cuda-env"):
        subprocess.run(["bash", "-n", str(REPO / "scripts" / script)], check=True)


def test_install_refuses_without_an_interpreter() -> None:
    result = subprocess.run(["bash", str(REPO / "scripts" / "install")], capture_output=True, text=True)
    assert result.returncode != 0 and "usage: scripts/install PYTHON" in result.stderr


def test_wheel_carries_the_playground(tmp_path) -> None:
    """Docker installs the checkout as a wheel (not editable): the static playground must be inside it."""
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp_path), str(REPO)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("pulse_server-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("index.html", "playground.js", "playground.css"):
        assert f"server/static/playground/{name}" in names
