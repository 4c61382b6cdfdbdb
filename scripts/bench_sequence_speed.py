"""Training speed of sequence-VAE configs: windows/s, and the share of the machine's fp32 matmul peak.

For each config: a few full training steps (forward, backward, Adam) on real prepared windows, after a
warm-up. The work of one step is counted with torch's FlopCounterMode (on the CPU, where nn.LSTM runs as
matrix products the counter sees); the peak is a large fp32 matrix product measured in the same run.
Prints one JSON line per config and one for the peak.

Usage: python scripts/bench_sequence_speed.py --data16 data/prepared/folk16-any --data2 data/prepared/folk-any \
           [--configs mel_16bar_flat_med mel_16bar_hier_med] [--steps 3] [--device cpu] [--batch-size N]
       python scripts/bench_sequence_speed.py --data data/prepared/groove --configs drums_2bar
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from musicae.autoencoding.batch import Batch
from musicae.music.data.prepare import load_streams
from musicae.music.models.configs import get_config
from musicae.music.models.sequence_vae import SequenceVAE


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(device: torch.device, size: int = 2048, repeats: int = 10) -> float:
    """FLOP/s of a (size x size) @ (size x size) fp32 product, best of `repeats`."""
    a, b = (torch.randn(size, size, device=device) for _ in range(2))
    best = float("inf")
    for _ in range(repeats + 2):
        sync(device)
        start = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def lstm_forward_flops(module: torch.nn.LSTM, inputs: torch.Tensor) -> int:
    """Matrix FLOPs of one nn.LSTM call on (B, T, I) inputs: 2 * 4H * (I + H) per step, layer and direction."""
    batch, steps, size = inputs.shape
    hidden, directions = module.hidden_size, 2 if module.bidirectional else 1
    total = 0
    for layer in range(module.num_layers):
        layer_input = size if layer == 0 else hidden * directions
        total += 2 * 4 * hidden * (layer_input + hidden) * batch * steps * directions
    return total


def step_flops(cfg, batch: Batch) -> int:
    """FLOPs of one training step (forward + backward), counted on the CPU.

    FlopCounterMode sees the linear layers but not the LSTM kernels, which hooks count instead; a
    backward pass costs twice its forward pass.
    """
    return model_step_flops(SequenceVAE(cfg), batch)


def model_step_flops(model: torch.nn.Module, batch) -> int:
    """FLOPs of one training step of any model (forward + backward), counted on the CPU."""
    lstm = []
    hooks = [m.register_forward_hook(lambda mod, args, out: lstm.append(lstm_forward_flops(mod, args[0])))
             for m in model.modules() if isinstance(m, torch.nn.LSTM)]
    with FlopCounterMode(display=False) as counter:
        model(batch, step=0)["loss"].backward()
    for hook in hooks:
        hook.remove()
    return counter.get_total_flops() + 3 * sum(lstm)


def as_batch(rows, n: int, device: torch.device) -> Batch:
    return Batch({name: torch.from_numpy(np.asarray(v[:n])).to(device) for name, v in rows.items()})


def bench(name: str, rows, device: torch.device, steps: int, batch_size: int | None) -> dict:
    cfg = get_config(name)
    if batch_size:
        cfg = replace(cfg, batch_size=batch_size)
    torch.manual_seed(0)
    model = SequenceVAE(cfg).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    batch = as_batch(rows, cfg.batch_size, device)
    times = []
    for i in range(steps + 1):  # the first step warms up (allocations, kernel choice) and is not timed
        sync(device)
        start = time.perf_counter()
        out = model(batch, step=1000)
        optimizer.zero_grad(set_to_none=True)
        out["loss"].backward()
        optimizer.step()
        sync(device)
        if i:
            times.append(time.perf_counter() - start)
    seconds = float(np.median(times))
    small = min(8, cfg.batch_size)
    flops = step_flops(cfg, as_batch(rows, small, torch.device("cpu"))) * cfg.batch_size / small
    return {"config": name, "encoding": cfg.encoding, "decoder": cfg.decoder, "bars": cfg.bars,
            "batch_size": cfg.batch_size, "device": str(device), "seconds_per_step": round(seconds, 4),
            "windows_per_second": round(cfg.batch_size / seconds, 1), "step_gflop": round(flops / 1e9, 2),
            "achieved_gflops": round(flops / seconds / 1e9, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data16", type=Path, default=Path("data/prepared/folk16-any"))
    parser.add_argument("--data2", type=Path, default=Path("data/prepared/folk-any"))
    parser.add_argument("--data", type=Path, default=None, help="one prepared folder for every config (drums, say)")
    parser.add_argument("--configs", nargs="+", default=["mel_16bar_flat_med", "mel_16bar_hier_med"])
    parser.add_argument("--steps", type=int, default=3, help="timed steps per config (the median is reported)")
    parser.add_argument("--batch-size", type=int, default=None, help="override the configs' batch size")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    peak = matmul_peak(device)
    print(json.dumps({"matmul_peak_gflops": round(peak / 1e9, 1), "device": str(device),
                      "name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                      "threads": torch.get_num_threads()}), flush=True)
    for name in args.configs:
        data = args.data or (args.data16 if get_config(name).bars == 16 else args.data2)
        result = bench(name, load_streams(data, "train"), device, args.steps, args.batch_size)
        result["share_of_matmul_peak"] = round(result["achieved_gflops"] * 1e9 / peak, 3)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
