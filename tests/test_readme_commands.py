"""Every command the README shows parses with today's command line: its subcommand, flags and choices exist
(a renamed flag or a dropped choice fails here, not in a reader's terminal). The tour's commands are also run
for real by scripts/make_tour.sh, which makes its pictures and sounds."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
PROGRAMS = ("musicae", "image-ae")


def readme_commands(inline: bool = False) -> list[str]:
    """The README's bash blocks' command lines (continuation lines joined); with `inline`, the commands named in
    its running text and tables instead, which may be fragments (`musicae train --init-from X`)."""
    text = README.read_text(encoding="utf-8")
    found = []
    if not inline:
        for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.strip()
                if line.startswith(tuple(f"{p} " for p in PROGRAMS)):
                    found.append(line)
        return found
    for code in re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S)):
        for part in code.split(" then "):
            part = part.strip()
            if part.startswith(tuple(f"{p} " for p in PROGRAMS)) and not part.endswith(" ..."):
                found.append(part)
    return found


def words(line: str) -> list[str]:
    return shlex.split(line, comments=True)


def parser_of(program: str):
    if program == "musicae":
        from musicae.cli import build_parser
    else:
        from image_ae.cli import build_parser
    return build_parser()


def test_the_readme_shows_commands_of_every_kind():
    commands = readme_commands() + readme_commands(inline=True)
    subcommands = {words(c)[1] for c in commands if len(words(c)) > 1}
    assert len(commands) > 40
    assert {"prepare", "train", "sample", "interpolate", "reconstruct", "humanize", "drumify", "personalize",
            "transform", "similar", "grid", "studio"} <= subcommands


@pytest.mark.parametrize("line", readme_commands())
def test_a_readme_command_parses(line, capsys):
    argv = words(line)
    parser = parser_of(argv[0])
    try:
        parser.parse_args(argv[1:])
    except SystemExit as stop:
        assert stop.code == 0, f"{line!r}: {capsys.readouterr().err.strip()}"


def subcommand_options(program: str, name: str) -> set[str] | None:
    import argparse

    for action in parser_of(program)._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            return {flag for option in action.choices[name]._actions for flag in option.option_strings}
    return None


@pytest.mark.parametrize("fragment", readme_commands(inline=True))
def test_a_command_named_in_the_text_exists_with_its_flags(fragment):
    """Fragments need not be whole commands, but their subcommand and every flag they name must exist."""
    argv = words(fragment)
    if len(argv) < 2 or argv[1].startswith("-"):
        return  # the program itself (`musicae --version`)
    options = subcommand_options(argv[0], argv[1])
    assert options is not None, f"{fragment!r}: no subcommand {argv[1]!r}"
    unknown = [w.split("=")[0] for w in argv[2:] if w.startswith("--") and w.split("=")[0] not in options]
    assert not unknown, f"{fragment!r}: {argv[0]} {argv[1]} has no {', '.join(unknown)}"
