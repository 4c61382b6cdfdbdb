"""`musicae` command line: each subcommand parses its arguments and calls one function."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _print(obj) -> None:
    print(json.dumps(obj, indent=2))


# ----------------------------------------------------------------------------- prepare
def cmd_prepare(args) -> int:
    from musicae.music.extract import ExtractOptions
    from musicae.music.prepare import PrepareOptions, prepare

    if not args.inputs and not args.corpus:
        raise SystemExit("musicae prepare: give INPUT files/directories, or --corpus folk")
    options = PrepareOptions(
        extract=ExtractOptions(bars=args.bars, max_windows_per_file=args.max_windows_per_file, any_meter=args.any_meter,
                               seed=args.seed, gap_bars=args.gap_bars),
        workers=args.workers,
        valid_fraction=args.valid_fraction,
        abc_parser=args.abc_parser,
        use_cache=not args.no_cache,
        max_file_mb=args.max_file_mb,
    )
    stats = prepare(args.inputs, Path(args.out), options, folk=args.corpus == "folk")
    _print(stats)
    if stats["windows"] == 0:
        print(f"musicae prepare: no windows came out of {stats['items']} items; see {args.out}/manifest.jsonl "
              f"(reasons: {stats['by_reason']})", file=sys.stderr)
        return 1
    return 0


def add_prepare(sub) -> None:
    p = sub.add_parser("prepare", help="MIDI/ABC files and folders -> training windows (npy shards, manifest, stats)")
    p.add_argument("inputs", nargs="*", help="MIDI files, ABC files, directories (searched recursively)")
    p.add_argument("--out", required=True, help="output directory (replaced atomically)")
    p.add_argument("--bars", type=int, default=2, help="window length in bars: 2 (32 steps) or 16 (256 steps)")
    p.add_argument("--max-windows-per-file", type=int, default=0, help="cap per item, sampled at random (MusicVAE: 5); 0 = all")
    p.add_argument("--workers", type=int, default=0, help="worker processes (default: all cores)")
    p.add_argument("--seed", type=int, default=0, help="seed for sampling windows and the train/valid split")
    p.add_argument("--corpus", choices=["folk"], help="add the folk melodies bundled with music21")
    p.add_argument("--any-meter", action="store_true", help="also window pieces whose bars are not 16 steps")
    p.add_argument("--gap-bars", type=int, default=1, help="a silence this many bars long ends a melody")
    p.add_argument("--valid-fraction", type=float, default=0.1, help="share of sources held out for validation")
    p.add_argument("--abc-parser", choices=["symusic", "music21"], default="symusic", help="ABC route: abc2midi via symusic (fast) or music21")
    p.add_argument("--max-file-mb", type=float, default=64.0, help="larger MIDI files are reported, not parsed")
    p.add_argument("--no-cache", action="store_true", help="parse everything again")
    p.set_defaults(func=cmd_prepare)


# ----------------------------------------------------------------------------- train / evaluate
def cmd_train(args) -> int:
    from musicae.music.configs import MelodyVAEConfig
    from musicae.music.train import train_melody_vae

    model_overrides = {k: getattr(args, k) for k in MelodyVAEConfig.__dataclass_fields__ if k != "name" and hasattr(args, k)}
    summary = train_melody_vae(
        Path(args.data), Path(args.out), args.config, resume=args.resume, model_overrides=model_overrides,
        steps=args.steps, seed=args.seed, device=args.device, eval_every=args.eval_every,
        checkpoint_every=args.checkpoint_every, log_every=args.log_every, progress=not args.no_progress,
    )
    _print(summary)
    return 130 if summary["interrupted"] else 0


def add_train(sub) -> None:
    from musicae.autoencoding.config import add_dataclass_arguments
    from musicae.music.configs import DEFAULT_CONFIG, MELODY_CONFIGS, MelodyVAEConfig

    p = sub.add_parser("train", help="train a melody VAE on prepared windows")
    p.add_argument("--data", required=True, help="directory written by `musicae prepare`")
    p.add_argument("--out", required=True, help="run directory: checkpoints, metrics.jsonl, curves.png")
    p.add_argument("--config", default=DEFAULT_CONFIG, choices=MELODY_CONFIGS.names(), help="named model config")
    p.add_argument("--steps", type=int, default=10000, help="total training steps")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="cpu, cuda or auto")
    p.add_argument("--eval-every", type=int, default=500, help="validate every N steps")
    p.add_argument("--checkpoint-every", type=int, default=500, help="checkpoint every N steps")
    p.add_argument("--log-every", type=int, default=20, help="log training metrics every N steps")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    group = p.add_argument_group("model config overrides")
    add_dataclass_arguments(group, MelodyVAEConfig, skip=("name", "num_classes"))
    p.set_defaults(func=cmd_train)


def cmd_evaluate(args) -> int:
    from musicae.music.evaluate import evaluate_windows
    from musicae.music.generate import TrainedModel
    from musicae.music.prepare import load_windows

    model = TrainedModel.load(args.checkpoint)
    windows = load_windows(Path(args.data), args.split)
    if len(windows) == 0:
        raise ValueError(f"{args.data}: no {args.split} windows to evaluate (try --split all)")
    if args.limit:
        windows = windows[: args.limit]
    result = evaluate_windows(model.model, windows, batch_size=args.batch_size)
    _print(result)
    return 0


def add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="accuracy, NLL and KL of a checkpoint on prepared windows (JSON)")
    p.add_argument("--checkpoint", help="checkpoint or run directory (default: the shipped model)")
    p.add_argument("--data", required=True, help="directory written by `musicae prepare`")
    p.add_argument("--split", default="valid", choices=["valid", "train", "all"])
    p.add_argument("--limit", type=int, default=0, help="evaluate only the first N windows")
    p.add_argument("--batch-size", type=int, default=256)
    p.set_defaults(func=cmd_evaluate)


# ----------------------------------------------------------------------------- generation
def cmd_sample(args) -> int:
    from musicae.music.commands import sample

    _print(sample(args.checkpoint, args.n, args.temperature, Path(args.out), seed=args.seed))
    return 0


def cmd_reconstruct(args) -> int:
    from musicae.music.commands import reconstruct

    _print(reconstruct(args.checkpoint, Path(args.input), Path(args.out), temperature=args.temperature))
    return 0


def cmd_interpolate(args) -> int:
    from musicae.music.commands import interpolate

    _print(interpolate(args.checkpoint, Path(args.a), Path(args.b), args.steps, Path(args.out), bar_a=args.bar_a,
                       bar_b=args.bar_b, temperature=args.temperature, wav=not args.no_wav))
    return 0


def cmd_encode(args) -> int:
    from musicae.music.commands import encode

    _print(encode(args.checkpoint, [Path(p) for p in args.inputs], Path(args.out)))
    return 0


def add_generation(sub) -> None:
    def checkpoint(p):
        p.add_argument("--checkpoint", help="checkpoint or run directory (default: the shipped folk model)")

    p = sub.add_parser("sample", help="sample melodies from the prior and write MIDI")
    checkpoint(p)
    p.add_argument("-n", type=int, default=8, help="number of melodies")
    p.add_argument("--temperature", type=float, default=0.5, help="softmax temperature; 0 = greedy")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("reconstruct", help="encode a MIDI melody and decode it again")
    checkpoint(p)
    p.add_argument("input", help="MIDI file")
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_reconstruct)

    p = sub.add_parser("interpolate", help="slerp between two melodies in latent space; MIDI, piano roll, WAV")
    checkpoint(p)
    p.add_argument("a", help="first MIDI file")
    p.add_argument("b", help="second MIDI file")
    p.add_argument("--steps", type=int, default=5, help="points on the path, both endpoints included")
    p.add_argument("--bar-a", "--bar", type=int, default=None, dest="bar_a",
                   help="use the window of A starting at this bar (0-based) instead of the whole melody")
    p.add_argument("--bar-b", type=int, default=None, help="same for B (defaults to --bar)")
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--no-wav", action="store_true", help="skip the WAV rendering")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_interpolate)

    p = sub.add_parser("encode", help="posterior means of the windows of MIDI files -> .npy (+ sources .json)")
    checkpoint(p)
    p.add_argument("inputs", nargs="+", help="MIDI files")
    p.add_argument("--out", required=True, help="Z.npy; the sources go to Z.json beside it")
    p.set_defaults(func=cmd_encode)


def cmd_configs(args) -> int:
    from dataclasses import asdict

    from musicae.music.configs import MELODY_CONFIGS

    _print({name: asdict(MELODY_CONFIGS[name]) for name in MELODY_CONFIGS.names()})
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="musicae", description="MusicVAE-style melody VAE: prepare data, train, generate.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_prepare(sub)
    add_train(sub)
    add_evaluate(sub)
    add_generation(sub)
    p = sub.add_parser("configs", help="list the named model configs")
    p.set_defaults(func=cmd_configs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, KeyError) as err:  # NoWindows is a ValueError
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"musicae {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
