"""Running the musicae command line inside a test."""

from musicae.cli import main


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `musicae ARGV...`; arguments may be paths or numbers."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_output(folder, role: str):
    """The one file a command wrote into `folder` in the role `role` (its name: SOURCES-MODEL-sSEED-ROLE)."""
    from pathlib import Path

    found = sorted(Path(folder).glob(f"*-{role}"))
    assert len(found) == 1, f"{folder}: {len(found)} files named *-{role}: {[p.name for p in Path(folder).iterdir()]}"
    return found[0]
