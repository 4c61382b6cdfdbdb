"""`musicae` command line: each subcommand parses its arguments and calls one function."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from musicae.autoencoding.cli import (
    OneLineParser,
    add_output_folder,
    fraction,
    non_negative_float,
    non_negative_int,
    output_of,
    positive_float,
    positive_int,
    print_json,
    run_main,
    seed,
)
from musicae.music.inference.shipped import command_model


# ----------------------------------------------------------------------------- prepare
def cmd_prepare(args) -> int:
    from musicae.music.data.prepare import PrepareOptions, prepare
    from musicae.music.encodings import ENCODINGS
    from musicae.music.encodings.base import ExtractOptions

    if not args.inputs and not args.corpus:
        raise ValueError("give INPUT files/directories, or --corpus folk|bach|quartets")
    encoding = chords_variant(args.encoding, ENCODINGS) if args.chords else args.encoding
    if encoding not in ENCODINGS:
        raise ValueError(f"--encoding {encoding}: choose from {', '.join(ENCODINGS.names())}")
    bars = args.bars or ENCODINGS[encoding].default_bars
    options = PrepareOptions(
        extract=ExtractOptions(bars=bars, max_windows_per_file=args.max_windows_per_file, any_meter=args.any_meter,
                               seed=args.seed, gap_bars=args.gap_bars),
        workers=args.workers,
        valid_fraction=args.valid_fraction,
        split_file=Path(args.split_file) if args.split_file else None,
        abc_parser=args.abc_parser,
        use_cache=not args.no_cache,
        max_file_mb=args.max_file_mb,
        executor=args.executor,
        scheduler=args.scheduler,
        encoding=encoding,
    )
    stats = prepare(args.inputs, output_of(args, command_model(args.command)), options,
                    corpora=tuple(args.corpus or ()))
    print_json(stats)
    if stats["windows"] == 0:
        kept = f"; the dataset already in {args.out} is kept as it was" if stats.get("kept_previous") else \
            f"; see {args.out}/manifest.jsonl"
        print(f"musicae prepare: error: no windows came out of {stats['items']} items (reasons: {stats['by_reason']})"
              f"{kept}", file=sys.stderr)
        return 1
    return 0


def chords_variant(encoding: str, registry) -> str:
    """`--chords`: the encoding's variant that stores the chord of every step (melody -> melody_chords)."""
    name = f"{encoding}_chords"
    if name not in registry:
        raise ValueError(f"--chords: encoding {encoding!r} has no variant with chords (encodings: "
                         f"{', '.join(registry.names())})")
    return name


def add_prepare(sub) -> None:
    from musicae.music.encodings.base import DEFAULT_ENCODING

    p = sub.add_parser("prepare", help="MIDI/ABC files and folders -> training windows (npy shards, manifest, stats)")
    p.add_argument("inputs", nargs="*", help="MIDI files, ABC files, directories (searched recursively)")
    p.add_argument("--out", required=True, help="output folder: new, empty, or one that prepare wrote (then replaced "
                   "atomically); never one that holds an input or other files")
    p.add_argument("--bars", type=positive_int, default=None,
                   help="window length in bars: 2 (32 steps) or 16 (256 steps); default 2, 1 for multitrack")
    p.add_argument("--max-windows-per-file", type=non_negative_int, default=0,
                   help="cap per item, sampled at random (MusicVAE: 5); 0 = all")
    p.add_argument("--workers", type=non_negative_int, default=0,
                   help="worker processes (default: all cores); with --executor dask and no --scheduler, the local "
                        "cluster's workers")
    p.add_argument("--encoding", default=DEFAULT_ENCODING, help="what the windows hold: melody (MusicVAE's 90 classes), "
                   "melody_chords (with the chord of each step), drums (MusicVAE's 9 drum classes, 512 per step), "
                   "groove, groove_humanize, groove_tap (GrooVAE: hits, velocities and timing), multitrack (bars of up to 8 "
                   "instruments: programs, drums, velocities), multitrack_chords")
    p.add_argument("--chords", action="store_true",
                   help="store the chord of every step with each window (chord annotations beside the MIDI, as in "
                        "POP909); an input without chords is reported as no_chords")
    p.add_argument("--executor", default="local", choices=["local", "dask"],
                   help="local process pool, or a dask.distributed cluster (pip install 'dask[distributed]')")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, tcp://HOST:PORT (default: start a "
                                                     "local cluster)")
    p.add_argument("--seed", type=seed, default=0, help="seed for sampling windows and the train/valid split")
    p.add_argument("--corpus", choices=["folk", "bach", "quartets"], action="append",
                   help="add a collection bundled with music21: folk (ABC melodies), bach (the chorales and other "
                        "four-part scores), quartets (Beethoven, Haydn, Mozart); repeat for several")
    p.add_argument("--any-meter", action="store_true", help="also window pieces whose bars are not 16 steps")
    p.add_argument("--gap-bars", type=positive_int, default=1, help="a silence this many bars long ends a melody")
    p.add_argument("--valid-fraction", type=fraction, default=0.1, help="share of sources held out for validation, in [0, 1)")
    p.add_argument("--split-file", default=None, help="CSV with each file's split (a path column such as "
                   "midi_filename, and a split column: train / validation / test), e.g. the Groove MIDI Dataset's "
                   "info.csv; replaces --valid-fraction; test and unlisted files are reported and left out")
    p.add_argument("--abc-parser", choices=["symusic", "music21"], default="symusic", help="ABC route: abc2midi via symusic (fast) or music21")
    p.add_argument("--max-file-mb", type=positive_float, default=64.0, help="larger MIDI files are reported, not parsed")
    p.add_argument("--no-cache", action="store_true", help="parse everything again")
    p.set_defaults(func=cmd_prepare)


# ----------------------------------------------------------------------------- train / evaluate
TRAINER_FLAGS = ("steps", "seed", "device", "precision", "eval_every", "checkpoint_every", "log_every")


def cmd_train(args) -> int:
    from musicae.autoencoding.distributed import is_main
    from musicae.music.models.configs import SequenceVAEConfig
    from musicae.music.models.multitrack_configs import MULTITRACK_CONFIGS, MultitrackVAEConfig
    from musicae.music.models.training import train_sequence_vae

    out = output_of(args, command_model(args.command))
    multitrack = args.config in MULTITRACK_CONFIGS if args.config else stored_kind(out) == "multitrack_vae"
    fields = (MultitrackVAEConfig if multitrack else SequenceVAEConfig).__dataclass_fields__
    flags = (set(SequenceVAEConfig.__dataclass_fields__) | set(MultitrackVAEConfig.__dataclass_fields__)) - {
        "name", "prior_dim", "prior_hidden"}  # what add_train made flags of: both kinds' fields
    given = {k: getattr(args, k) for k in vars(args) if k in flags and getattr(args, k) is not None}
    stray = sorted(k for k in given if k not in fields)
    if stray:
        raise ValueError(f"--{stray[0].replace('_', '-')} does not apply to a "
                         f"{'multitrack' if multitrack else 'sequence-VAE'} config")
    trainer_overrides = {k: getattr(args, k) for k in TRAINER_FLAGS}
    if multitrack:
        from musicae.music.models.multitrack_training import train_multitrack

        summary = train_multitrack(Path(args.data), out, args.config, resume=args.resume, overwrite=args.overwrite,
                                   model_overrides=given, progress=False if args.no_progress else None,
                                   init_from=args.init_from, **trainer_overrides)
    else:
        summary = train_sequence_vae(
            Path(args.data), out, args.config, resume=args.resume, overwrite=args.overwrite,
            model_overrides=given, progress=False if args.no_progress else None, init_from=args.init_from,
            **trainer_overrides,
        )
    if is_main():  # under torchrun, one summary
        print_json(summary)
    return 130 if summary["interrupted"] else 0


def stored_kind(run_dir: Path) -> str | None:
    """The model kind of the run already in `run_dir` (None when there is none)."""
    import json

    from musicae.autoencoding.checkpoint import CHECKPOINTS_DIR

    for record in sorted(Path(run_dir).glob(f"{CHECKPOINTS_DIR}/*/config.json"), reverse=True):
        try:
            return json.loads(record.read_text()).get("kind")
        except (OSError, ValueError):
            continue
    return None


def add_train(sub) -> None:
    from musicae.autoencoding.config import add_dataclass_arguments
    from musicae.music.models.configs import DEFAULT_CONFIG, SEQUENCE_CONFIGS, SequenceVAEConfig
    from musicae.music.models.multitrack_configs import MULTITRACK_CONFIGS, MultitrackVAEConfig

    p = sub.add_parser("train", help="train a sequence VAE on prepared windows",
                       description="Train a sequence VAE. Model defaults come from --config (default "
                                   f"{DEFAULT_CONFIG}, whose values the flags below show). On --resume everything "
                                   "comes from the stored run; only --steps (to extend it) and the runtime flags "
                                   "(--device, --eval-every, --checkpoint-every, --log-every) may be given anew.")
    p.add_argument("--data", required=True, help="directory written by `musicae prepare`")
    p.add_argument("--out", required=True, help="run directory: checkpoints, metrics.jsonl, curves.png")
    p.add_argument("--config", default=None, choices=SEQUENCE_CONFIGS.names() + MULTITRACK_CONFIGS.names(),
                   help=f"named model config (default: {DEFAULT_CONFIG}; on --resume, the stored one); "
                        f"multitrack_1bar_* train the multitrack bar VAE on `prepare --encoding multitrack` bars")
    p.add_argument("--steps", type=positive_int, default=10000, help="total training steps (default: 10000)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its newest intact checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace the run already in --out (its checkpoints and log)")
    p.add_argument("--init-from", default=None, metavar="CHECKPOINT",
                   help="a new run starts from this trained model (checkpoint, run directory or shipped model "
                        "name): as a whole from a model of its own layout and sizes (a second stage with other "
                        "settings, e.g. more --free-bits, or a run carried on from a shipped model); a config with "
                        "segments, such as mel_16bar_hier2_cpu, its segment encoder and decoder from a flat model "
                        "of one segment's length. Ignored on --resume, where the stored weights win")
    p.add_argument("--seed", type=seed, default=None, help="seed for weights, data order and noise (default: 0)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N or auto (default: auto; under torchrun each "
                                                   "process takes cuda:LOCAL_RANK)")
    p.add_argument("--precision", default=None, choices=["fp32", "bf16", "fp16"],
                   help="mixed precision: bf16 (GPU or CPU), fp16 (GPU, gradient scaler); default fp32")
    p.add_argument("--eval-every", type=non_negative_int, default=500, help="validate every N steps; 0 = never")
    p.add_argument("--checkpoint-every", type=positive_int, default=500, help="checkpoint every N steps")
    p.add_argument("--log-every", type=positive_int, default=20, help="log training metrics every N steps")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    group = p.add_argument_group("model config overrides (defaults: the --config's values; shown: "
                                 f"{DEFAULT_CONFIG}'s)")
    add_dataclass_arguments(group, SequenceVAEConfig, skip=("name", "prior_dim", "prior_hidden"), default_note=f"from --config; {DEFAULT_CONFIG}: ")
    group = p.add_argument_group("multitrack config overrides (defaults: the --config's values; shown: "
                                 "multitrack_1bar_cpu's)")
    add_dataclass_arguments(group, MultitrackVAEConfig, skip=("name", *SequenceVAEConfig.__dataclass_fields__),
                            default_note="from --config; multitrack_1bar_cpu: ")
    p.set_defaults(func=cmd_train)


def cmd_evaluate(args) -> int:

    from musicae.autoencoding.device import resolve_device
    from musicae.music.data.prepare import load_streams
    from musicae.music.inference.trained_model import TrainedModel
    from musicae.music.models.evaluation import evaluate_model

    model = TrainedModel.load(args.checkpoint, device=str(resolve_device(args.device)))
    rows = load_streams(Path(args.data), args.split, model.encoding)
    if len(rows) == 0:
        raise ValueError(f"{args.data}: no {args.split} windows to evaluate (try --split all)")
    steps = next(iter(rows.values())).shape[1]
    if steps != model.cfg.steps:
        raise ValueError(f"{args.data}: windows of {steps} steps, but the model ({model.cfg.name}) reads "
                         f"{model.cfg.steps} ({model.cfg.bars} bars); prepare with --bars {model.cfg.bars}")
    if args.limit:
        rows = rows.take(limited_subset(len(rows), args.limit, args.seed))
    print_json(evaluate_model(model.model, rows, batch_size=args.batch_size, seed=args.seed,
                              sampled_temperature=args.temperature, progress=not args.no_progress))
    return 0


def limited_subset(count: int, limit: int, seed: int = 0):
    """Indices of a fixed random subset of `limit` of `count` windows, in order: the first windows of a
    split come from its first collection and are not typical of the whole."""
    import numpy as np

    return np.sort(np.random.default_rng(seed).permutation(count)[:limit])


def add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="accuracy, NLL and KL of a checkpoint on prepared windows (JSON)")
    p.add_argument("--checkpoint", help="checkpoint, run directory or shipped model name (default: mel_2bar_folk)")
    p.add_argument("--data", required=True, help="directory written by `musicae prepare`")
    p.add_argument("--split", default="valid", choices=["valid", "train", "all"])
    p.add_argument("--limit", type=positive_int, default=None, help="evaluate a fixed random subset of N windows")
    p.add_argument("--seed", type=seed, default=0, help="seed of the subset and of the posterior samples")
    p.add_argument("--batch-size", type=positive_int, default=256)
    p.add_argument("--temperature", type=non_negative_float, default=1.0,
                   help="softmax temperature of sampled_accuracy (MusicVAE's Table 1: 1.0)")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (CUDA when available)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_evaluate)


# ----------------------------------------------------------------------------- generation
def cmd_sample(args) -> int:
    from musicae.music.inference.commands import sample

    print_json(sample(args.checkpoint, args.n, args.temperature, output_of(args, command_model(args.command)), seed=args.seed, png=not args.no_png,
                      chords=args.chords, wav=not args.no_wav, qpm=args.qpm, program=args.program, bars=args.bars))
    return 0


def cmd_reconstruct(args) -> int:
    from musicae.music.inference.commands import reconstruct

    print_json(reconstruct(args.checkpoint, Path(args.input), output_of(args, command_model(args.command)), temperature=args.temperature,
                           png=not args.no_png, seed=args.seed, chords=args.chords, wav=not args.no_wav,
                           track=args.track, qpm=args.qpm, program=args.program, bar=args.bar))
    return 0


def cmd_measures(args) -> int:
    from musicae.music.inference.piece_commands import measures

    print_json(measures(args.checkpoint, Path(args.input)))
    return 0


def cmd_interpolate(args) -> int:
    from musicae.music.inference.commands import interpolate

    if args.bars is not None:
        from musicae.music.inference.piece_commands import interpolate_bars

        print_json(interpolate_bars(
            args.checkpoint, args.a and Path(args.a), args.b and Path(args.b), args.bars,
            output_of(args, command_model(args.command)), bar_a=args.bar_a, bar_b=args.bar_b,
            temperature=args.temperature, seed=args.seed, chords=args.chords, track=args.track, qpm=args.qpm,
            program=args.program, wav=not args.no_wav, png=not args.no_png))
        return 0
    if args.a is None or args.b is None:
        raise ValueError("interpolate: give two MIDI files A and B (without them, --bars N interpolates between two "
                         "draws from the prior)")
    print_json(interpolate(args.checkpoint, Path(args.a), Path(args.b), args.steps, output_of(args, command_model(args.command)), bar_a=args.bar_a,
                           bar_b=args.bar_b, temperature=args.temperature, wav=not args.no_wav, png=not args.no_png,
                           seed=args.seed, chords=args.chords, track=args.track, qpm=args.qpm, program=args.program))
    return 0


def cmd_encode(args) -> int:
    from musicae.music.inference.commands import encode

    print_json(encode(args.checkpoint, [Path(p) for p in args.inputs], output_of(args, command_model(args.command))))
    return 0


def tempo(text: str) -> float:
    value = positive_float(text)
    if not 20 <= value <= 400:
        raise argparse.ArgumentTypeError(f"{text}: must be in 20..400 quarter notes a minute")
    return value


def gm_program(text: str) -> int:
    value = non_negative_int(text)
    if value > 127:
        raise argparse.ArgumentTypeError(f"{text}: a General MIDI program is 0..127")
    return value


TRACK_HELP = ("the input's track to read: its index from 0, or its name (default: the melody, as MusicVAE picks it: "
              "a track named like one, else the one giving the most windows, accompaniment aside; the JSON says "
              "which, and names the others)")
MODEL_TEMPERATURE = "0 for 2-bar models, 0.5 for 16-bar ones as in MusicVAE's notebooks"


def add_generation(sub) -> None:
    from musicae.music.inference.shipped import JOB_MODELS

    def track(p):
        p.add_argument("--track", default=None, help=TRACK_HELP)

    def common(p, temperature: float | str | None):
        p.add_argument("--checkpoint", help="checkpoint, run directory or shipped model name (see `musicae models`; "
                                            f"default: {JOB_MODELS[p.prog.split()[-1]]})")
        if temperature is not None:
            given = None if temperature == MODEL_TEMPERATURE else temperature
            p.add_argument("--temperature", type=non_negative_float, default=given,
                           help=f"softmax temperature, finite and >= 0; 0 = greedy (default: {temperature})")
            p.add_argument("--seed", type=seed, default=0, help="seed of the sampling noise")
            p.add_argument("--no-png", action="store_true", help="skip the piano-roll picture")
            p.add_argument("--qpm", "--tempo", type=tempo, default=None, help="tempo of the MIDI and WAV written, quarter notes a "
                           "minute, 20..400 (default: the input's own; 120 for samples)")
            p.add_argument("--program", type=gm_program, default=None, help="General MIDI instrument of the melody, "
                           "0..127 (0 piano, 40 violin, 73 flute; default: the model's)")

    p = sub.add_parser("sample", help="sample melodies from the prior and write MIDI")
    common(p, 0.5)
    p.add_argument("-n", type=positive_int, default=8, help="number of melodies (the picture shows the first 16)")
    p.add_argument("--bars", type=positive_int, default=None,
                   help="each sample one style (one z) held over this many bars, a chord model's --chords round and "
                        "round under it (1..256; default: one window, or the whole progression)")
    p.add_argument("--chords", help="a chord model's progression, one chord per bar: \"C G Am F\" (names such as C, "
                                    "Cm, C7, Bb:maj, N); each sample plays over all of it")
    add_output_folder(p)
    p.add_argument("--no-wav", action="store_true", help="skip the WAV of the first 16 samples")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("reconstruct", help="encode a MIDI melody and decode it again")
    common(p, MODEL_TEMPERATURE)
    p.add_argument("--chords", help="a chord model's progression, one chord per bar, repeated over the melody "
                                    "(default: the input's own chords)")
    p.add_argument("input", help="MIDI file")
    add_output_folder(p)
    p.add_argument("--no-wav", action="store_true", help="skip the WAV of the reconstruction")
    p.add_argument("--bar", type=non_negative_int, default=None,
                   help="only the window (a multitrack model's measure) starting at this bar of the file, 0 = its "
                        "first (`musicae measures FILE` lists them)")
    track(p)
    p.set_defaults(func=cmd_reconstruct)

    p = sub.add_parser("measures", help="the windows a model reads in a MIDI file, by the bar each starts at "
                                        "(a multitrack model's measures)")
    p.add_argument("--checkpoint", help="checkpoint, run directory or shipped model name (default: "
                                        f"{JOB_MODELS['measures']})")
    p.add_argument("input", help="MIDI file")
    p.set_defaults(func=cmd_measures)

    p = sub.add_parser("interpolate", help="slerp between two melodies in latent space; MIDI, piano roll, WAV")
    common(p, MODEL_TEMPERATURE)
    p.add_argument("a", nargs="?", help="first MIDI file")
    p.add_argument("b", nargs="?", help="second MIDI file")
    p.add_argument("--steps", type=int, default=5, help="points on the path, both endpoints included (2..1000)")
    p.add_argument("--bars", type=positive_int, default=None,
                   help="instead of --steps: one piece of this many bars (2..256), each window a point on the path, "
                        "played without a gap (the Multitrack notebook's); without A and B, between two draws "
                        "from the prior (--seed)")
    p.add_argument("--bar", "--bar-a", type=non_negative_int, default=None, dest="bar_a",
                   help="use the window of A starting at this bar of the file (0 = the file's first bar) instead of "
                        "the whole melody")
    p.add_argument("--bar-b", type=non_negative_int, default=None, help="same for B (defaults to --bar)")
    p.add_argument("--chords", help="a chord model's progression, one chord per bar, under every step (default: "
                                    "A's own chords)")
    p.add_argument("--no-wav", action="store_true", help="skip the WAV rendering")
    add_output_folder(p)
    track(p)
    p.set_defaults(func=cmd_interpolate)

    p = sub.add_parser("encode", help="posterior means of the windows of MIDI files -> .npy (+ sources .json)")
    common(p, None)
    p.add_argument("inputs", nargs="+", help="MIDI files")
    p.add_argument("--out", required=True, help="Z.npy (.npy added when missing); the sources go to Z.json beside it")
    p.set_defaults(func=cmd_encode)


def cmd_configs(args) -> int:
    from dataclasses import asdict

    from musicae.music.models.configs import SEQUENCE_CONFIGS

    print_json({name: asdict(SEQUENCE_CONFIGS[name]) for name in SEQUENCE_CONFIGS.names()})
    return 0


def cmd_models(args) -> int:
    from musicae.music.inference.shipped import model_card, shipped_names

    cards = [model_card(name) for name in shipped_names()]
    if args.json:
        print_json(cards)
        return 0
    print(f"{'name':<24} {'bars':>4} {'decoder':<14} {'params':>7} {'MB':>6}  {'teacher-forced':>14} {'sampled':>8}  "
          "description")
    for card in cards:
        figures = card["figures"]
        params = f"{card['parameters'] / 1e6:.1f}M" if card["parameters"] else "?"
        print(f"{card['name'] + (' *' if card['default'] else ''):<24} {card['bars']:>4} {card['decoder']:<14} "
              f"{params:>7} {card['megabytes']:>6.1f}  {figures.get('teacher_forced_accuracy', '?'):>14} "
              f"{figures.get('sampled_accuracy', '?'):>8}  {card['description']}")
    print("* the default of --checkpoint for any other command. Figures: held-out windows (`musicae models --json` "
          "says which, and the command that measured them).")
    print("Used when --checkpoint is not given:")
    for card in cards:
        if card["default_for"]:
            print(f"  {card['name']:<24} {', '.join(card['default_for'])}")
    aliases = [f"{alias} = {card['name']}" for card in cards for alias in card["also_named"]]
    if aliases:
        print(f"Also named (the low-KL side of a pair, as Magenta named it): {'; '.join(aliases)}")
    return 0


def cmd_download(args) -> int:
    from musicae.music.data.pop909 import MIRRORS, download_pop909

    print_json(download_pop909(output_of(args, command_model(args.command)), tuple(args.mirror) or MIRRORS, progress=not args.no_progress))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from musicae import __version__
    from musicae.cli_drums import add_drums
    from musicae.cli_latent import add_latent
    from musicae.studio.cli import add_studio

    parser = OneLineParser(prog="musicae", description="MusicVAE-style sequence VAEs: prepare data, train, generate.")
    parser.add_argument("--version", action="version", version=f"musicae {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_prepare(sub)
    add_train(sub)
    add_evaluate(sub)
    add_generation(sub)
    add_drums(sub)
    p = sub.add_parser("configs", help="list the named model configs")
    p.set_defaults(func=cmd_configs)
    add_latent(sub)
    add_studio(sub)
    p = sub.add_parser("download", help="fetch a dataset: pop909 (checksummed, resumable)")
    p.add_argument("dataset", choices=["pop909"])
    p.add_argument("--out", default="data/pop909", help="folder for the songs (default: data/pop909)")
    p.add_argument("--mirror", action="append", default=[], help="URL prefix of the archive master.zip (repeatable; "
                                                                  "default: the dataset's GitHub repository)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_download)
    p = sub.add_parser("models", help="list the shipped models (names for --checkpoint), their size and figures")
    p.add_argument("--json", action="store_true", help="JSON, with the data and command behind each figure")
    p.set_defaults(func=cmd_models)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_main("musicae", build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
