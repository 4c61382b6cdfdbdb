"""The latent-tool subcommands of `musicae`: attributes, transform, similar, grid, quality, train-lm."""

from __future__ import annotations

import argparse
from pathlib import Path

from musicae.autoencoding.cli import (
    add_output_folder,
    finite_float,
    non_negative_float,
    non_negative_int,
    output_of,
    positive_int,
    print_json,
    seed,
    unit_interval,
)
from musicae.music.inference.shipped import command_model

TRACK_HELP = "the input's track to read: its index from 0, or its name (default: the melody; see `musicae reconstruct --help`)"


def checkpoint_help(job: str | None = None) -> str:
    from musicae.music.inference.shipped import DEFAULT_MODEL, JOB_MODELS

    return ("checkpoint, run directory or shipped model name (see `musicae models`; default: "
            f"{JOB_MODELS.get(job or '', DEFAULT_MODEL)})")


def cmd_attributes(args) -> int:
    from musicae.music.latent.commands import attributes

    print_json(attributes(args.checkpoint, Path(args.data), output_of(args, command_model(args.command)), args.split, args.limit, args.seed))
    return 0


def cmd_transform(args) -> int:
    from musicae.autoencoding.config import ConfigError
    from musicae.music.latent.commands import transform_file

    if len(args.attribute) != len(args.amount):
        raise ConfigError(f"{len(args.attribute)} --attribute but {len(args.amount)} --amount: give one amount per "
                          f"attribute, in the same order")
    amounts = dict(zip(args.attribute, args.amount))
    print_json(transform_file(args.checkpoint, Path(args.input), amounts, output_of(args, command_model(args.command)),
                              Path(args.vectors) if args.vectors else None, args.temperature, args.seed,
                              wav=not args.no_wav, png=not args.no_png, track=args.track))
    return 0


def cmd_similar(args) -> int:
    from musicae.music.latent.commands import similar_file

    print_json(similar_file(args.checkpoint, Path(args.input), args.n, args.similarity, output_of(args, command_model(args.command)), args.bar,
                            args.temperature, args.seed, png=not args.no_png, track=args.track))
    return 0


def cmd_grid(args) -> int:
    from musicae.music.latent.commands import grid_files

    print_json(grid_files(args.checkpoint, [Path(p) for p in args.corners], args.size, output_of(args, command_model(args.command)), args.bar,
                          args.temperature, args.seed, track=args.track))
    return 0


def cmd_quality(args) -> int:
    from musicae.music.latent.commands import quality_report

    report = quality_report(args.checkpoint, Path(args.data), output_of(args, command_model(args.command)), args.samples, args.pairs,
                            effect_windows=args.effect_windows, lm=Path(args.lm) if args.lm else None,
                            vectors=Path(args.vectors) if args.vectors else None, seed=args.seed)
    print_json(report)
    return 0


def cmd_train_lm(args) -> int:
    from musicae.music.models.language_model import train_lm

    summary = train_lm(Path(args.data), output_of(args, command_model(args.command)), args.steps, seed=args.seed, resume=args.resume,
                       overwrite=args.overwrite, progress=False if args.no_progress else None)
    print_json(summary)
    return 130 if summary["interrupted"] else 0


def cmd_personalize(args) -> int:
    from musicae.autoencoding.config import override
    from musicae.music.latent.personal import PersonalizeOptions, personalize

    options = override(PersonalizeOptions(), args)  # checked as it is built
    print_json(personalize([Path(p) for p in args.inputs], output_of(args, command_model(args.command)), args.checkpoint, options,
                           progress=not args.no_progress))
    return 0


def _generation_flags(p, bar: bool = True) -> None:
    p.add_argument("--checkpoint", help=checkpoint_help(p.prog.split()[-1]))
    p.add_argument("--temperature", type=non_negative_float, default=None,
                   help="0 = greedy decoding (default: 0 for 2-bar models, 0.5 for 16-bar ones, as in MusicVAE's "
                        "notebooks)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the noise")
    p.add_argument("--track", default=None, help=TRACK_HELP)
    if bar:
        p.add_argument("--bar", type=non_negative_int, default=None,
                       help="use the window starting at this bar of each file (default: the first window)")


def vector_amount(text: str) -> float:
    """Units of an attribute vector: past +-10 the latent leaves anywhere the model was trained (and 1e308 is inf)."""
    value = finite_float(text)
    if not -10 <= value <= 10:
        raise argparse.ArgumentTypeError(f"{text}: must be in -10..10 (units of the vector)")
    return value


def add_latent(sub) -> None:
    from musicae.music.latent.attributes import ATTRIBUTES

    p = sub.add_parser("attributes", help="attribute vectors of a model (MusicVAE's paper) -> JSON")
    p.add_argument("--data", required=True, help="directory written by `musicae prepare`")
    p.add_argument("--checkpoint", help=checkpoint_help())
    p.add_argument("--out", required=True, help="vectors.json to write")
    p.add_argument("--split", default="train", choices=["train", "valid", "all"])
    p.add_argument("--limit", type=positive_int, default=20000, help="a fixed random subset of N windows")
    p.add_argument("--seed", type=seed, default=0)
    p.set_defaults(func=cmd_attributes)

    p = sub.add_parser("transform", help="add attribute vectors to a melody's latent code; MIDI, piano roll, WAV")
    p.add_argument("input", help="MIDI file (transformed window by window)")
    p.add_argument("--attribute", action="append", required=True, choices=ATTRIBUTES.names(),
                   help="attribute to change (repeat for several)")
    p.add_argument("--amount", action="append", required=True, type=vector_amount,
                   help="how much, in units of the vector, in -10..10 (one per --attribute)")
    p.add_argument("--vectors", help="attribute JSON (default: the one shipped beside the model)")
    add_output_folder(p)
    p.add_argument("--no-wav", action="store_true", help="skip the WAV")
    p.add_argument("--no-png", action="store_true", help="skip the piano roll")
    _generation_flags(p, bar=False)
    p.set_defaults(func=cmd_transform)

    p = sub.add_parser("similar", help="variations of a melody: decode s*z + (1-s)*noise")
    p.add_argument("input", help="MIDI file")
    p.add_argument("-n", type=positive_int, default=8, help="number of variations")
    p.add_argument("--similarity", type=unit_interval, default=0.8, help="s in [0, 1]; 1 gives the reconstruction")
    add_output_folder(p)
    p.add_argument("--no-png", action="store_true")
    _generation_flags(p)
    p.set_defaults(func=cmd_similar)

    p = sub.add_parser("grid", help="a size x size latent grid over four corner melodies; MIDI and a picture")
    p.add_argument("corners", nargs=4, metavar="MIDI", help="top-left, top-right, bottom-left, bottom-right")
    p.add_argument("--size", type=int, default=5, help="cells per side, 2..16")
    add_output_folder(p)
    _generation_flags(p)
    p.set_defaults(func=cmd_grid)

    from musicae.autoencoding.config import add_dataclass_arguments
    from musicae.music.latent.personal_options import PersonalizeOptions

    p = sub.add_parser("personalize", help="a model of your own from a few tunes (MidiMe: a small VAE over a "
                                           "model's z; seconds on a CPU)",
                       description="Window and encode your tunes with a base model, then learn where they live in its "
                                   "latent space. The result is a model folder like any other: sample, interpolate, "
                                   "`musicae studio --checkpoint` it.")
    p.add_argument("inputs", nargs="+", help="MIDI and ABC files or folders of your tunes (searched recursively)")
    p.add_argument("--out", required=True, help="the new model's folder: new, empty, or one personalize wrote")
    p.add_argument("--checkpoint", help=checkpoint_help("personalize"))
    p.add_argument("--no-progress", action="store_true")
    add_dataclass_arguments(p, PersonalizeOptions)
    p.set_defaults(func=cmd_personalize)

    p = sub.add_parser("quality", help="prior samples vs data, interpolation realism, attribute effects (JSON + PNGs)")
    p.add_argument("--data", required=True, help="prepared folder; its valid split is the held-out data")
    p.add_argument("--out", required=True, help="folder for quality.json and the pictures")
    p.add_argument("--checkpoint", help=checkpoint_help())
    p.add_argument("--samples", type=positive_int, default=1000, help="prior samples per temperature")
    p.add_argument("--pairs", type=positive_int, default=100, help="held-out pairs to interpolate")
    p.add_argument("--effect-windows", type=positive_int, default=256, help="held-out windows to transform")
    p.add_argument("--lm", help="language model judging realism (default: the shipped one)")
    p.add_argument("--vectors", help="attribute JSON (default: the one shipped beside the model)")
    p.add_argument("--seed", type=seed, default=0)
    p.set_defaults(func=cmd_quality)

    p = sub.add_parser("train-lm", help="train the small melody language model the quality report uses")
    p.add_argument("--data", required=True, help="directory written by `musicae prepare`")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--steps", type=positive_int, default=3000)
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_train_lm)
