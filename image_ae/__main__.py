"""`python -m image_ae ...`: the same CLI as the `image-ae` command (and what torchrun needs)."""

from image_ae.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
