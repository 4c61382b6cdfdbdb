"""Input discovery and loading: MIDI files, multi-tune ABC files, the bundled folk corpus.

An *item* is what the manifest accounts for: a MIDI file, or one tune of an ABC file.
Loading an item gives `Segment`s (see extract.py) or raises `BadInput` with a one-line reason.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicae.music.segments import Segment, cut_segments, segments_from_score, split_points

MIDI_SUFFIXES = {".mid", ".midi", ".kar", ".smf"}
ABC_SUFFIXES = {".abc"}
FOLK_COLLECTIONS = ("essenFolksong", "oneills1850", "ryansMammoth")
DEFAULT_MAX_FILE_MB = 64.0


class BadInput(Exception):
    """An input that cannot be read; str() is the one-line reason."""

    def __init__(self, reason_code: str, detail: str):
        super().__init__(detail)
        self.reason_code = reason_code
        self.detail = detail


@dataclass(frozen=True)
class InputFile:
    path: Path
    kind: str  # "midi" | "abc"
    label: str  # how the manifest names it


def folk_corpus_dir() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def folk_corpus_files() -> list[InputFile]:
    """The ABC folk collections bundled with music21 (Essen, O'Neill's 1850, Ryan's Mammoth)."""
    root = folk_corpus_dir()
    files = []
    for collection in FOLK_COLLECTIONS:
        for path in sorted((root / collection).glob("*.abc")):
            files.append(InputFile(path, "abc", f"music21:{collection}/{path.name}"))
    if not files:
        raise FileNotFoundError(f"music21's folk corpus not found under {root}")
    return files


def discover(inputs: list[str | Path]) -> tuple[list[InputFile], list[tuple[str, str]]]:
    """MIDI and ABC files among `inputs` (directories searched recursively).

    Returns the files and the inputs that could not be used, as (path, reason).
    """
    found: list[InputFile] = []
    problems: list[tuple[str, str]] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MIDI_SUFFIXES | ABC_SUFFIXES)
            if not candidates:
                problems.append((str(path), "directory holds no .mid/.midi/.abc files"))
        elif path.is_file():
            candidates = [path]
        else:
            problems.append((str(path), "no such file or directory"))
            continue
        for p in candidates:
            suffix = p.suffix.lower()
            kind = "abc" if suffix in ABC_SUFFIXES else "midi"
            found.append(InputFile(p, kind, str(p)))
    return found, problems


# ----------------------------------------------------------------------------- MIDI
def check_midi_file(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> None:
    size = path.stat().st_size
    if size == 0:
        raise BadInput("empty_file", "empty file")
    if size > max_file_mb * 1e6:
        raise BadInput("too_large", f"file too large ({size / 1e6:.1f} MB > {max_file_mb:g} MB limit)")
    with open(path, "rb") as f:
        head = f.read(4)
    if head != b"MThd":
        raise BadInput("not_midi", f"not a MIDI file (starts with {head!r}, expected b'MThd')")


def load_midi_segments(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> list[Segment]:
    import symusic

    check_midi_file(path, max_file_mb)
    try:
        score = symusic.Score(str(path))
    except Exception as err:  # symusic raises RuntimeError with the parser's reason
        raise BadInput("corrupt", f"unreadable MIDI ({' '.join(str(err).split())[:160]})") from None
    return segments_from_score(score)


# ----------------------------------------------------------------------------- ABC
def split_abc_tunes(text: str) -> tuple[str, list[str]]:
    """(file header, tunes): each tune starts at an `X:` line; the header applies to all."""
    parts = re.split(r"(?m)^(?=X:)", text)
    header = "" if parts[0].startswith("X:") else parts[0]
    tunes = [p for p in parts if p.startswith("X:")]
    return header, tunes


def read_abc(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise BadInput("empty_file", "empty file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def tune_label(tune: str, index: int) -> str:
    match = re.match(r"X:\s*(\S*)", tune)
    return f"X:{match.group(1) if match and match.group(1) else index + 1}"


@contextlib.contextmanager
def _quiet_fds():
    """Silence stdout/stderr at the file-descriptor level: abc2midi prints its complaints there."""
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def load_abc_tune_symusic(text: str) -> list[Segment]:
    """One ABC tune through symusic's bundled abc2midi: fast (~2 ms a tune) and complete."""
    import symusic

    try:
        with _quiet_fds():
            score = symusic.Score.from_abc(text)
    except Exception as err:
        raise BadInput("abc_parse", f"ABC not understood by abc2midi ({' '.join(str(err).split())[:120]})") from None
    return segments_from_score(score)


def load_abc_tune_music21(text: str) -> list[Segment]:
    """One ABC tune through music21: slower (~60 ms a tune), kept as an independent route."""
    import music21

    try:
        score = music21.converter.parse(text, format="abc")
    except Exception as err:
        raise BadInput("abc_parse", f"ABC not understood by music21 ({' '.join(str(err).split())[:120]})") from None
    starts, ends, pitches, instruments = [], [], [], []
    parts = score.parts if hasattr(score, "parts") and len(score.parts) else [score]
    for index, part in enumerate(parts):
        for element in part.flatten().stripTies().notes:
            offset = float(element.offset)
            duration = float(element.quarterLength)
            if duration <= 0:
                continue
            top = max(p.midi for p in element.pitches)  # chords: the melody is on top
            starts.append(offset)
            ends.append(offset + duration)
            pitches.append(top)
            instruments.append(index)
    if not starts:
        return []
    ts_events = [(float(ts.offset), (ts.numerator, ts.denominator)) for ts in score.flatten().getTimeSignatures()]
    start, end = np.array(starts), np.array(ends)
    quarter_tempo = [(0.0, 60.0)]  # one quarter per "second": steps = quarters * 4
    splits = split_points(float(end.max()), ts_events, quarter_tempo)
    n = len(starts)
    return cut_segments(
        splits,
        ts_events,
        quarter_tempo,
        start,
        end,
        pitch=np.array(pitches, dtype=np.int16),
        velocity=np.full(n, 90, dtype=np.int16),
        instrument=np.array(instruments, dtype=np.int32),
        is_drum=np.zeros(n, dtype=bool),
    )


ABC_PARSERS = {"symusic": load_abc_tune_symusic, "music21": load_abc_tune_music21}
