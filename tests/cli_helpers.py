"""Running the musicae command line inside a test."""

from musicae.cli import main


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `musicae ARGV...`; arguments may be paths or numbers."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err
