"""`musicae download pop909`: POP909 (909 pop songs, MIT licence) for chord-conditioned training.

The archive of the dataset's repository is fetched (resumable, several mirrors), each song's MIDI, beat
and chord files are taken out of it, and every song is checked against the SHA-256 digests shipped in
musicae/assets/pop909_songs.json (made from the files this project trained on). Songs land in
OUT/NNN/{NNN.mid, beat_midi.txt, chord_midi.txt}, the layout `prepare --chords` reads. A song that fails
its check is reported, not kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from importlib import resources
from pathlib import Path

from musicae.autoencoding.checkpoint import temp_sibling
from musicae.autoencoding.fetch import DownloadError, Resource
from musicae.autoencoding.fetch import download as fetch

ARCHIVE = Resource("master.zip")
MIRRORS = ("https://github.com/music-x-lab/POP909-Dataset/archive/refs/heads/",)
FILES = ("{song}.mid", "beat_midi.txt", "chord_midi.txt")
MAX_MEMBER_BYTES = 4 * 1024 * 1024
"""POP909's largest file is a few hundred kB."""
MEMBER = re.compile(r"^[^/]+/POP909/(\d{3})/(\d{3}\.mid|beat_midi\.txt|chord_midi\.txt)$")


def expected_songs() -> dict[str, str]:
    return json.loads((resources.files("musicae") / "assets" / "pop909_songs.json").read_text())["songs"]


def song_digest(folder: Path) -> str | None:
    digest = hashlib.sha256()
    for pattern in FILES:
        path = folder / pattern.format(song=folder.name)
        if not path.is_file():
            return None
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def extract(archive: Path, target: Path, expected: dict[str, str]) -> dict:
    """Take the songs' files out of the archive into a temporary folder, keep the songs whose digests match,
    and move the folder into place. Member names are matched against one pattern, never used as paths."""
    tmp = temp_sibling(target)
    try:
        try:
            with zipfile.ZipFile(archive) as zipped:
                for info in zipped.infolist():
                    match = MEMBER.match(info.filename)
                    if match and match.group(1) in expected:
                        if info.file_size > MAX_MEMBER_BYTES:  # said before a byte is inflated: no zip bomb
                            raise DownloadError(f"{archive.name}: {info.filename} would expand to {info.file_size:,} "
                                                f"bytes; a POP909 file is under {MAX_MEMBER_BYTES:,}: not the archive")
                        folder = tmp / match.group(1)
                        folder.mkdir(exist_ok=True)
                        with zipped.open(info) as member:  # read no more than the bound, whatever the header says
                            data = member.read(MAX_MEMBER_BYTES + 1)
                        if len(data) > MAX_MEMBER_BYTES:
                            raise DownloadError(f"{archive.name}: {info.filename} expands past {MAX_MEMBER_BYTES:,} bytes")
                        (folder / match.group(2)).write_bytes(data)
        except zipfile.BadZipFile as err:
            raise DownloadError(f"{archive.name} from the mirror: not a readable zip archive ({err}); it was removed, "
                                f"so the next run downloads it again") from None
        verified, mismatched, missing = [], [], []
        for song, digest in sorted(expected.items()):
            found = song_digest(tmp / song) if (tmp / song).is_dir() else None
            if found == digest:
                verified.append(song)
            else:
                (missing if found is None else mismatched).append(song)
                shutil.rmtree(tmp / song, ignore_errors=True)
        if not verified:
            raise DownloadError(f"{archive}: no song of the archive matches POP909's checksums "
                                f"({len(mismatched)} differ, {len(missing)} missing)")
        install_songs(tmp, target, verified)
        shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"songs": len(verified), "mismatched": mismatched, "missing": missing}


def install_songs(source: Path, target: Path, songs: list[str]) -> None:
    """Move each verified song's three files into `target/SONG/`, file by file (each rename atomic): whatever
    else is in `target` or in a song's folder (your labels, audio, a .git) is left where it is."""
    target.mkdir(parents=True, exist_ok=True)
    for song in songs:
        (target / song).mkdir(exist_ok=True)
        for pattern in FILES:
            name = pattern.format(song=song)
            os.replace(source / song / name, target / song / name)


def download_pop909(out: Path, mirrors=MIRRORS, expected: dict[str, str] | None = None, progress: bool = True,
                    timeout: float = 60.0) -> dict:
    """Download (or finish downloading) POP909 into `out`; songs already there and intact are kept as they are."""
    out = Path(out)
    expected = expected or expected_songs()
    present = [s for s in expected if (out / s).is_dir() and song_digest(out / s) == expected[s]]
    if len(present) == len(expected):
        return {"out": str(out), "songs": len(present), "downloaded": False}
    if out.exists() and any(p for p in out.iterdir() if p.name not in expected and not p.name.startswith(".")):
        raise FileExistsError(f"{out}: holds files that are not POP909 songs; choose an empty or new folder")
    cache = out.with_name(f".{out.name}.download")
    archive = fetch(cache, [ARCHIVE], mirrors, timeout, progress)[0]
    try:
        result = extract(archive, out, expected)
    finally:  # a good archive has given its songs, a bad one must not be trusted again
        archive.unlink(missing_ok=True)
        if cache.is_dir() and not any(cache.iterdir()):
            cache.rmdir()
    return {"out": str(out), **result, "downloaded": True}
