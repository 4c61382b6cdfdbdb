"""The files a command writes into its --out folder: atomically, never through a link, and never over or
instead of a file that musicae did not write (each folder records what its commands wrote there)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from musicae.autoencoding.checkpoint import atomic_write_bytes, atomic_write_text

OUTPUTS_FILE = ".musicae-outputs"
"""In an --out folder: the SHA-256 and name of each file musicae commands wrote there, one a line (appended
as each is written, so a command of 10,000 files costs no more per file). Only a file whose content is still
what musicae wrote may be replaced or removed: one the user put in its place is theirs."""


def _outputs(folder: Path) -> dict[str, set[str]] | None:
    """Name -> the digests written under it, from a folder's outputs file (None: no command prepared it)."""
    try:
        text = (folder / OUTPUTS_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found: dict[str, set[str]] = {}
    for line in text.splitlines():
        digest, _, name = line.partition(" ")
        if name and "/" not in name:
            found.setdefault(name, set()).add(digest)
    return found


def _ours(path: Path, written: dict[str, set[str]]) -> bool:
    """Whether `path` is a regular file holding what musicae wrote under its name."""
    if path.name not in written or path.is_symlink() or not path.is_file():
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() in written[path.name]


def output_folder(out: Path, flag: str = "--out") -> Path:
    """Create the output folder (refusing a path that is an existing file), and remove what the previous run
    into it wrote, so that two runs' files never mix; a file musicae did not write is left alone (and
    write_file refuses to replace it)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{flag} {out}: is an existing file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    written = _outputs(out) or {}
    for name in written:
        if _ours(out / name, written):
            (out / name).unlink()
    atomic_write_text(out / OUTPUTS_FILE, "")
    return out


def write_file(path: Path, data: bytes) -> str:
    """Atomically, and never through a symbolic link (see atomic_write_bytes). In a folder that output_folder
    prepared, a file that is there and that no musicae command wrote is refused, not replaced."""
    path = Path(path)
    record = path.parent / OUTPUTS_FILE
    if record.is_file() and not record.is_symlink():
        if (path.exists() or path.is_symlink()) and not _ours(path, _outputs(path.parent) or {}):
            raise FileExistsError(f"{path}: exists and was not written by musicae; move it or choose another --out")
        with open(record, "a", encoding="utf-8") as names:  # recorded first: a crash leaves no unrecorded file
            names.write(f"{hashlib.sha256(data).hexdigest()} {path.name}\n")
    atomic_write_bytes(path, data)
    return str(path)


def file_stem(sources: Iterable[Path | str | None], model: str, seed: int | None = None) -> str:
    """The start of a command's file names: its sources, its model and its seed (a-b-mel_2bar_folk_hikl-s0), so a
    file copied out of its folder still says what made it."""
    from musicae.autoencoding.cli import slug

    parts = [slug(Path(str(source)).stem) for source in sources if source is not None]
    model_path = Path(str(model))
    if model_path.parent.name == "checkpoints":  # a run's checkpoint: named for its run
        model_path = model_path.parent.parent
    parts.append(slug(model_path.name))
    if seed is not None:
        parts.append(f"s{seed}")
    return "-".join(parts)


@dataclass(frozen=True)
class Outputs:
    """A command's prepared --out folder, and the stem its files are named with (`file_stem`)."""

    folder: Path
    stem: str

    def write(self, role: str, data: bytes) -> str:
        """Write `data` as STEM-ROLE (role: `path.mid`, `step_03.mid`...) with write_file's guarantees."""
        return write_file(self.folder / f"{self.stem}-{role}", data)


def output_files(out: Path, sources: Iterable[Path | str | None], model: str, seed: int | None = None) -> Outputs:
    """output_folder(out), with the files named for the sources, model and seed."""
    return Outputs(output_folder(out), file_stem(sources, model, seed))
