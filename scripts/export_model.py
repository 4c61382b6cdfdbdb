"""Copy a run's latest checkpoint (weights + config, no optimizer state) into a model directory.

Usage: python scripts/export_model.py RUN_DIR DEST_DIR
"""

import json
import sys
from pathlib import Path

from safetensors.torch import load_file

from musicae.autoencoding.checkpoint import load_config, resolve_checkpoint, save_model


class _Weights:  # save_model wants something with state_dict()
    def __init__(self, tensors):
        self.tensors = tensors

    def state_dict(self):
        return self.tensors


def main(run: str, dest: str) -> None:
    checkpoint = resolve_checkpoint(Path(run))
    config = load_config(checkpoint)
    summary_path = Path(run) / "summary.json"
    trainer = json.loads((checkpoint / "trainer.json").read_text())
    config["trained"] = {"step": trainer["step"], "run": str(run)}
    if summary_path.exists():
        config["trained"]["evaluation"] = json.loads(summary_path.read_text()).get("evaluation")
    out = save_model(Path(dest), _Weights(load_file(str(checkpoint / "model.safetensors"))), config)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(json.dumps({"exported": str(out), "from": str(checkpoint), "bytes": size}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
