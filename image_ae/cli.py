"""`image-ae` command line: download, train, evaluate, plot."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _print(obj) -> None:
    print(json.dumps(obj, indent=2))


def cmd_download(args) -> int:
    from image_ae.download import download

    _print({"files": [str(p) for p in download(Path(args.data_dir))]})
    return 0


def cmd_train(args) -> int:
    from image_ae.run import train_image

    overrides = {k: getattr(args, k) for k in ("noise", "sigma", "p", "scale", "latent_dim", "likelihood", "max_beta",
                                               "warmup_steps", "free_bits", "lr", "batch_size")}
    summary = train_image(args.task, Path(args.data_dir), Path(args.out), args.model, epochs=args.epochs, limit=args.limit,
                          seed=args.seed, device=args.device, progress=not args.no_progress, resume=args.resume, **overrides)
    _print(summary)
    return 130 if summary["interrupted"] else 0


def cmd_evaluate(args) -> int:
    from image_ae.run import evaluate_run

    _print(evaluate_run(Path(args.run), Path(args.data_dir), limit=args.limit, k=args.k))
    return 0


def cmd_plot(args) -> int:
    from image_ae.plots import plot_run

    _print({"figures": plot_run(Path(args.run), Path(args.data_dir), args.out, temperature=args.temperature)})
    return 0


def build_parser() -> argparse.ArgumentParser:
    from image_ae.tasks import IMAGE_CONFIGS, TASKS

    parser = argparse.ArgumentParser(prog="image-ae", description="MNIST autoencoders: denoising, super-resolution, VAEs.")
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
    p.add_argument("--epochs", type=float, default=10)
    p.add_argument("--limit", type=int, help="use only the first N training images")
    p.add_argument("--noise", choices=["gaussian", "saltpepper", "offset"], help="denoise: noise type")
    p.add_argument("--sigma", type=float, help="denoise: noise standard deviation")
    p.add_argument("--p", type=float, help="denoise: salt-and-pepper probability")
    p.add_argument("--scale", type=int, choices=[2, 4], help="superres: factor")
    p.add_argument("--latent-dim", type=int, help="ae/vae: latent size")
    p.add_argument("--likelihood", choices=["bernoulli", "gaussian"], help="vae: pixel likelihood")
    p.add_argument("--max-beta", type=float, help="vae: final KL weight")
    p.add_argument("--warmup-steps", type=int, help="vae: KL warm-up steps")
    p.add_argument("--free-bits", type=float, help="vae: free bits per latent dimension")
    p.add_argument("--lr", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="PSNR/SSIM (and ELBO/NLL for VAEs) on the official test set, as JSON")
    p.add_argument("run")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--limit", type=int, help="first N test images only")
    p.add_argument("-k", type=int, default=100, help="importance samples for the VAE NLL")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("plot", help="PNG figures: grids, SR vs bicubic, samples, latent scatter and grid")
    p.add_argument("run")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--out", help="folder for the PNGs (default: RUN/plots)")
    p.add_argument("--temperature", type=float, default=1.0, help="VAE sampling temperature")
    p.set_defaults(func=cmd_plot)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, KeyError, RuntimeError) as err:
        print(f"image-ae {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
