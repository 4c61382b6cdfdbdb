"""Write docs/API.md, the reference of the Python API, from its docstrings and signatures.

    python scripts/api_reference.py            # rewrite docs/API.md
    python scripts/api_reference.py --check    # exit 1 if docs/API.md is not what the code says (the tests run this)
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from pathlib import Path

MODULES = (
    "musicae.music.inference.api",
    "musicae.music.inference.trained_model",
    "musicae.music.latent.moves",
    "musicae.music.latent.personal",
    "musicae.music.encodings.base",
)
TARGET = Path(__file__).resolve().parents[1] / "docs" / "API.md"


def public(module) -> list[tuple[str, object]]:
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    return [(n, getattr(module, n)) for n in names
            if (inspect.isfunction(getattr(module, n)) or inspect.isclass(getattr(module, n)))
            and getattr(getattr(module, n), "__module__", None) == module.__name__]


def entry(name: str, obj, level: str = "###") -> list[str]:
    try:
        signature = str(inspect.signature(obj))
    except (TypeError, ValueError):
        signature = ""
    lines = [f"{level} `{name}{signature}`", "", inspect.getdoc(obj) or "(no docstring)", ""]
    if inspect.isclass(obj):
        for method_name, method in vars(obj).items():
            if method_name.startswith("_") or not (inspect.isfunction(method) or isinstance(method, classmethod)):
                continue
            function = method.__func__ if isinstance(method, classmethod) else method
            lines += entry(f"{name}.{method_name}", function, "####")
    return lines


def reference() -> str:
    lines = ["# API reference", "", "Generated from the docstrings by `python scripts/api_reference.py`; "
             "the tests check it is current.", ""]
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        lines += [f"## `{module_name}`", "", inspect.getdoc(module) or "", ""]
        for name, obj in public(module):
            lines += entry(name, obj)
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = reference()
    if args.check:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET}: out of date; run python scripts/api_reference.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
