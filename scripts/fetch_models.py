#!/usr/bin/env python
"""Deploy-time fetch: download every `weights.hub` model of a config into its `weights.path`.

Run once on a GPU host (or in the CUDA image build). The server itself never downloads weights.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.config import load_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--token", help="Hugging Face token for gated models (or env HF_TOKEN)")
    args = parser.parse_args()
    from huggingface_hub import snapshot_download

    for name, model in load_config(args.config).models.items():
        weights = model.weights
        if not weights.hub or not weights.path:
            print(f"{name}: no hub/path pair, nothing to fetch")
            continue
        target = Path(weights.path)
        if (target / "model.bin").exists():
            print(f"{name}: {target} already present")
            continue
        print(f"{name}: fetching {weights.hub} → {target}")
        snapshot_download(weights.hub, local_dir=str(target), token=args.token)


if __name__ == "__main__":
    main()
