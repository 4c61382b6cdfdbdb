"""`musicae humanize` and `musicae drumify`: GrooVAE's two jobs (see music/inference/groove_commands.py)."""

from __future__ import annotations

from pathlib import Path

from musicae.autoencoding.cli import add_output_folder, non_negative_float, output_of, print_json, seed
from musicae.music.inference.shipped import command_model


def cmd_groove(args) -> int:
    from musicae.music.inference.groove_commands import groove

    print_json(groove(args.command, args.checkpoint, Path(args.input), output_of(args, command_model(args.command)), temperature=args.temperature,
                      seed=args.seed, wav=not args.no_wav, png=not args.no_png,
                      keep_hits=not args.free_hits))
    return 0


def add_drums(sub) -> None:
    from musicae.music.inference.shipped import GROOVE_JOBS as JOBS
    from musicae.music.inference.shipped import JOB_MODELS

    helps = {"humanize": "give a quantized drum beat a drummer's timing and dynamics (GrooVAE)",
             "drumify": "turn a rhythm (taps on one drum, or a melody) into a full drum beat (GrooVAE)"}
    for job, (_, wanted) in JOBS.items():
        p = sub.add_parser(job, help=helps[job], description=f"{helps[job]}. The input: {wanted}, as MIDI; the "
                           "output: MIDI on channel 10 at the input's tempo, a drum grid (PNG) and a WAV.")
        p.add_argument("input", help="MIDI file")
        add_output_folder(p)
        p.add_argument("--checkpoint", help=f"a GrooVAE checkpoint, run folder or shipped model (default: {JOB_MODELS[job]})")
        p.add_argument("--temperature", type=non_negative_float, default=0.0,
                       help="0 = the most likely hits (default); above 0, hits are sampled")
        p.add_argument("--seed", type=seed, default=0, help="seed of the sampling noise")
        p.add_argument("--no-png", action="store_true", help="skip the drum grid")
        p.add_argument("--no-wav", action="store_true", help="skip the WAV rendering")
        if job == "humanize":
            p.add_argument("--free-hits", action="store_true", help="let the model pick the hits too (its "
                           "reconstruction of the pattern) instead of keeping the input's")
        p.set_defaults(func=cmd_groove, free_hits=False)  # drumify picks its hits: it has no --free-hits
