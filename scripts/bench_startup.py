"""How fast the command line starts: `musicae --help`, `musicae models` and a subcommand's --help, beside
`python -c "import numpy"` (the floor any numpy tool pays), measured side by side in one run.

    python scripts/bench_startup.py [--runs 7]

Prints one JSON line: the median seconds of each, and each one's ratio to the numpy floor (the target is at
most 3: torch is imported only by the commands that run a model).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "import numpy": [sys.executable, "-c", "import numpy"],
    "musicae --help": [sys.executable, "-m", "musicae", "--help"],
    "musicae models": [sys.executable, "-m", "musicae", "models"],
    "musicae interpolate --help": [sys.executable, "-m", "musicae", "interpolate", "--help"],
    "musicae personalize --help": [sys.executable, "-m", "musicae", "personalize", "--help"],
}


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file cache
        seconds(command)
    times = {name: [] for name in COMMANDS}
    for _ in range(args.runs):  # interleaved: a busy moment slows all of them alike
        for name, command in COMMANDS.items():
            times[name].append(seconds(command))
    medians = {name: round(statistics.median(values), 3) for name, values in times.items()}
    floor = medians["import numpy"]
    print(json.dumps({"runs": args.runs, "seconds": medians,
                      "ratio_to_numpy": {name: round(value / floor, 2) for name, value in medians.items()}}))


if __name__ == "__main__":
    main()
