"""`python -m musicae ...`: the same CLI as the `musicae` command (and what torchrun needs)."""

from musicae.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
