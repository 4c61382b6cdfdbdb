"""What both command lines share: checked argument types, and a `main` that turns every failure into
one line on stderr with a non-zero exit (set MUSICAE_DEBUG=1 for the traceback)."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path


def _finite(obj):
    """NaN and infinities become null: JSON has no such numbers, and readers choke on `Infinity`."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def print_json(obj) -> None:
    print(json.dumps(_finite(obj), indent=2, allow_nan=False))


def _number(kind: Callable, text: str, low=None, high=None, low_open=False, high_open=False, what=""):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise argparse.ArgumentTypeError(f"{text}: must be {what}")
    return value


def seed(text: str) -> int:
    """A seed torch.Generator takes (0..2**63-1): a larger one would fail later, without naming --seed."""
    return _number(int, text, low=0, high=2**63 - 1, what="a whole number in 0..2**63-1")


def positive_int(text: str) -> int:
    return _number(int, text, low=1, what="at least 1")


def non_negative_int(text: str) -> int:
    return _number(int, text, low=0, what="0 or more")


def positive_float(text: str) -> float:
    return _number(float, text, low=0, low_open=True, what="a positive number")


def non_negative_float(text: str) -> float:
    return _number(float, text, low=0, what="a finite number >= 0")


def finite_float(text: str) -> float:
    return _number(float, text)


def unit_interval(text: str) -> float:
    return _number(float, text, low=0, high=1, what="in [0, 1]")


def fraction(text: str) -> float:
    return _number(float, text, low=0, high=1, high_open=True, what="in [0, 1)")


def add_output_folder(parser) -> None:
    parser.add_argument("--out", default=None, help="output folder (default: out/COMMAND-SOURCES-MODEL-sSEED); a rerun "
                                                    "replaces what the previous run wrote there, never a file of yours")


def slug(text: str) -> str:
    """`text` as a safe piece of a file name (at most 40 characters)."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", text).strip("_.")[:40] or "x"


def output_of(args, model: str | None = None) -> Path:
    """The --out of a command that add_output_folder equipped: as given, or a folder named for the command, its
    input files, the model and the seed (out/interpolate-a-b-mel_2bar_folk-s0), so runs of other inputs,
    models or seeds never land in one folder."""
    if args.out:
        return Path(args.out)
    parts = [args.command]
    for key in ("input", "a", "b"):
        if getattr(args, key, None):
            parts.append(slug(Path(getattr(args, key)).stem))
    checkpoint = getattr(args, "checkpoint", None)
    if checkpoint or model:
        parts.append(slug(Path(str(checkpoint)).name if checkpoint else model))
    if getattr(args, "seed", None) is not None:
        parts.append(f"s{args.seed}")
    return Path("out") / "-".join(parts)


def one_line(err: BaseException) -> str:
    message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
    if isinstance(err, OSError) and err.filename and str(err.filename) not in message:
        message = f"{err.filename}: {err.strerror or message}"
    text = " ".join(str(message).split()) or type(err).__name__
    known = (ValueError, KeyError, FileNotFoundError, FileExistsError, IsADirectoryError, PermissionError)
    return text if isinstance(err, known) else f"{type(err).__name__}: {text}"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line naming the command, not the usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def run_main(prog: str, parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse, call the subcommand, and answer any failure in one line (exit 2, or 130 on Ctrl-C)."""
    if not (sys.argv[1:] if argv is None else argv):  # a bare `musicae`: what it can do, not an error
        parser.print_help()
        return 0
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, or a usage mistake already reported in one line
        return done.code if isinstance(done.code, int) else 2
    try:
        code = args.func(args)
        sys.stdout.flush()  # inside the try: a reader that left must not cost a traceback at exit
        return code
    except BrokenPipeError:  # `musicae configs | head`: the reader left, nothing to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"{prog} {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # every user-facing failure: one line, never a traceback
        if os.environ.get("MUSICAE_DEBUG"):
            raise
        print(f"{prog} {args.command}: error: {one_line(err)}", file=sys.stderr)
        return 2
