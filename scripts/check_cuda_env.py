"""Run inside the CUDA image's environment on a CPU machine: import every GPU-side package, load
configs/gpu.yaml with devices overridden to CPU, and transcribe one clip with the embedded weights."""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PACKAGES = ("torch", "ctranslate2", "faster_whisper", "pyannote.audio", "transformers", "huggingface_hub", "server.app")
CPU_VALUES = {"device": "cpu", "pyannote_device": "cpu", "compute_type": "int8"}


def on_cpu(node: Any) -> Any:
    """The same tree with every device set to CPU (and float16 compute to int8, which CPUs run)."""
    if isinstance(node, dict):
        return {k: CPU_VALUES[k] if k in CPU_VALUES else on_cpu(v) for k, v in node.items()}
    if isinstance(node, list):
        return [on_cpu(v) for v in node]
    return node


def main() -> int:
    failures = 0
    for name in PACKAGES:
        try:
            module = importlib.import_module(name)
            print(f"ok      import {name} {getattr(module, '__version__', '')}")
        except Exception as exc:
            failures += 1
            print(f"FAILED  import {name}: {type(exc).__name__}: {exc}")
    import torch

    print(f"info    torch {torch.__version__}, built for CUDA {torch.version.cuda}, cuda available: "
          f"{torch.cuda.is_available()}")
    if torch.version.cuda is None:
        failures += 1
        print("FAILED  torch is a CPU-only build: the image would not use the GPU")

    from server.config import load_config

    raw = yaml.safe_load((ROOT / "configs" / "gpu.yaml").read_text())
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(on_cpu(raw), handle)
    try:
        config = load_config(handle.name)
        print(f"ok      configs/gpu.yaml (devices → cpu) validates: models {sorted(config.models)}")
    except ValueError as exc:
        failures += 1
        print(f"FAILED  configs/gpu.yaml: {exc}")

    # ctranslate2 from the CUDA environment really decodes: the embedded default model on one clip.
    from models.asr import AsrOptions, WhisperEngine
    from models.audio import iter_pcm_blocks
    from models.languages import LanguagePlan

    default = load_config(ROOT / "configs" / "default.yaml")
    engine = WhisperEngine("pulse", default.models["pulse"], Path(tempfile.gettempdir()) / "pulse-cuda-env-check")
    clip = ROOT.parent / "shared" / "data" / "asr_en" / "jfk.flac"
    if clip.exists():
        import numpy as np

        with clip.open("rb") as source:
            audio = np.concatenate(list(iter_pcm_blocks(source)))
        result = engine.transcribe_chunk(audio, AsrOptions(plan=LanguagePlan("en", "en", None)))
        print(f"ok      faster-whisper on CPU: {result.text[:60]!r}")
    print("RESULT  " + ("all checks passed" if failures == 0 else f"{failures} check(s) failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
