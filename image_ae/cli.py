"""`image-ae` command line: download, train, evaluate, plot."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from musicae.autoencoding.cli import (
    OneLineParser,
    non_negative_float,
    positive_float,
    positive_int,
    print_json,
    run_main,
    seed,
)


def cmd_download(args) -> int:
    from image_ae.download import download

    print_json({"files": [str(p) for p in download(Path(args.data_dir))]})
    return 0


def cmd_train(args) -> int:
    from image_ae.run import train_image
    from image_ae.tasks import ImageConfig
    from musicae.autoencoding.distributed import is_main

    overrides = {k: getattr(args, k) for k in ImageConfig.__dataclass_fields__ if k not in ("name", "task")}
    summary = train_image(args.task, Path(args.data_dir), Path(args.out), args.model, epochs=args.epochs, limit=args.limit,
                          seed=args.seed, device=args.device, progress=not args.no_progress, resume=args.resume,
                          overwrite=args.overwrite, precision=args.precision, **overrides)
    if is_main():  # under torchrun, one summary
        print_json(summary)
    return 130 if summary["interrupted"] else 0


def cmd_evaluate(args) -> int:
    from image_ae.run import evaluate_run

    print_json(evaluate_run(Path(args.run), Path(args.data_dir), limit=args.limit, k=args.k))
    return 0


def cmd_plot(args) -> int:
    from image_ae.plots import plot_run

    print_json({"figures": plot_run(Path(args.run), Path(args.data_dir), args.out, temperature=args.temperature)})
    return 0


def build_parser() -> argparse.ArgumentParser:
    from image_ae.tasks import IMAGE_CONFIGS, TASKS, ImageConfig
    from musicae.autoencoding.config import add_dataclass_arguments

    parser = OneLineParser(prog="image-ae", description="MNIST autoencoders: denoising, super-resolution, VAEs.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("download", help="fetch MNIST (checksummed, resumable, several mirrors)")
    p.add_argument("--data-dir", required=True)
    p.set_defaults(func=cmd_download)

    p = sub.add_parser("train", help="train a task: ae, denoise, superres or vae")
    p.add_argument("task", choices=list(TASKS))
    p.add_argument("--data-dir", required=True, help="folder with the MNIST IDX files")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--model", choices=IMAGE_CONFIGS.names(), help="named config (default: the task's default; "
                   "lesson_* are the lesson's reference models)")
    p.add_argument("--epochs", type=positive_float, default=None, help="passes over the training images (default: 10; "
                   "on --resume, the stored run's unless given to extend it)")
    p.add_argument("--limit", type=positive_int, help="use only the first N training images")
    p.add_argument("--seed", type=seed, default=None, help="seed for weights, data order and noise (default: 0)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N or auto (default: auto; under torchrun each "
                                                   "process takes cuda:LOCAL_RANK)")
    p.add_argument("--precision", default=None, choices=["fp32", "bf16", "fp16"],
                   help="mixed precision: bf16 (GPU or CPU), fp16 (GPU, gradient scaler); default fp32")
    p.add_argument("--resume", action="store_true", help="continue the run in --out with its stored settings")
    p.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    p.add_argument("--no-progress", action="store_true")
    group = p.add_argument_group("model config overrides (defaults: the --model's values; shown: the dataclass's)")
    add_dataclass_arguments(group, ImageConfig, skip=("name", "task"), default_note="from --model; ")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="PSNR/SSIM (and ELBO/NLL for VAEs) on the official test set, as JSON")
    p.add_argument("run")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--limit", type=positive_int, help="first N test images only")
    p.add_argument("-k", type=positive_int, default=100, help="importance samples for the VAE NLL")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("plot", help="PNG figures: grids, SR vs bicubic, samples, latent scatter and grid")
    p.add_argument("run")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--out", help="folder for the PNGs (default: RUN/plots)")
    p.add_argument("--temperature", type=non_negative_float, default=1.0, help="VAE sampling temperature")
    p.set_defaults(func=cmd_plot)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_main("image-ae", build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
