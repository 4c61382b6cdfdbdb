"""Copy a run's latest checkpoint (weights + config, no optimizer state) into a model directory.

Usage: python scripts/export_model.py RUN_DIR DEST_DIR [--fp16]

--fp16 stores the weights as float16 (half the size); they load back into float32 models. Check the
figures of the exported model with `musicae evaluate` before shipping it.
"""

import argparse
import json
from pathlib import Path

from safetensors.torch import load_file

from musicae.autoencoding.checkpoint import load_config, resolve_checkpoint, save_model


class _Weights:  # save_model wants something with state_dict()
    def __init__(self, tensors):
        self.tensors = tensors

    def state_dict(self):
        return self.tensors


def export(run: Path, dest: Path, fp16: bool = False) -> dict:
    checkpoint = resolve_checkpoint(run)
    config = load_config(checkpoint)
    trainer = json.loads((checkpoint / "trainer.json").read_text())
    config["trained"] = {"step": trainer["step"], "run": str(run), "device": trainer["trainer"].get("device")}
    summary_path = run / "summary.json"
    if summary_path.exists():
        config["trained"]["evaluation"] = json.loads(summary_path.read_text()).get("evaluation")
    tensors = load_file(str(checkpoint / "model.safetensors"))
    if fp16:
        tensors = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
        config["stored_dtype"] = "float16"
    out = save_model(dest, _Weights(tensors), config)
    size = sum(p.stat().st_size for p in out.iterdir())
    return {"exported": str(out), "from": str(checkpoint), "step": trainer["step"], "bytes": size, "fp16": fp16}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run directory or checkpoint")
    parser.add_argument("dest", type=Path, help="model directory to write (replaced atomically)")
    parser.add_argument("--fp16", action="store_true", help="store float16 weights")
    args = parser.parse_args()
    print(json.dumps(export(args.run, args.dest, args.fp16)))


if __name__ == "__main__":
    main()
