"""Studio latency and memory: POST /api/interpolate (5 steps, the two example melodies) over real HTTP.

For each model: p50 and p95 latency with 1 client and with 8 concurrent clients, then the server process's
memory (RSS) after the first request and after 500. Prints one JSON line per model.

Usage: python scripts/bench_studio.py [--checkpoint16 runs/mel_16bar_hier_cpu] [--requests 80] [--memory-requests 500]
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import uvicorn

from musicae.music.inference.trained_model import example_melodies
from musicae.studio.server import create_app


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def serve(checkpoint: str | None) -> tuple[str, uvicorn.Server]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(checkpoint), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def measure(url: str, clients: int, requests: int, long: bool = False) -> dict:
    a, b = example_melodies(long)
    files = {"a": (a.name, a.read_bytes()), "b": (b.name, b.read_bytes())}

    def one(i: int) -> float:
        with httpx.Client(timeout=120) as client:
            start = time.perf_counter()
            response = client.post(url + "/api/interpolate", files=files, data={"steps": "5", "seed": str(i)})
            response.raise_for_status()
            return time.perf_counter() - start

    with ThreadPoolExecutor(clients) as pool:
        times = np.array(list(pool.map(one, range(requests)))) * 1000
    return {"p50_ms": round(float(np.percentile(times, 50)), 1), "p95_ms": round(float(np.percentile(times, 95)), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint16", help="a 16-bar checkpoint or run (served as model `custom`)")
    parser.add_argument("--requests", type=int, default=80)
    parser.add_argument("--memory-requests", type=int, default=500)
    args = parser.parse_args()
    for label, checkpoint in (("mel_2bar_folk", None), ("16-bar", args.checkpoint16)):
        if label == "16-bar" and not checkpoint:
            continue
        long = checkpoint is not None
        url, server = serve(checkpoint)
        measure(url, 1, 1, long)
        after_first = rss_mb()
        line = {"model": label, "steps": 5, "one_client": measure(url, 1, args.requests, long),
                "eight_clients": measure(url, 8, args.requests, long)}
        measure(url, 8, max(0, args.memory_requests - 1 - 2 * args.requests), long)
        line |= {"rss_mb_after_first": round(after_first, 1), "rss_mb_after_all": round(rss_mb(), 1),
                 "requests": args.memory_requests}
        server.should_exit = True
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
