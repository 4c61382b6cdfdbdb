"""Input discovery and loading: MIDI files, multi-tune ABC files, the bundled folk corpus.

An *item* is what the manifest accounts for: a MIDI file, or one tune of an ABC file.
Loading an item gives `Segment`s (see extract.py) or raises `BadInput` with a one-line reason.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicae.music.data.annotated import annotated_segments, is_annotated
from musicae.music.data.segments import BadInput, Segment, cut_segments, segments_from_score, split_points

MIDI_SUFFIXES = {".mid", ".midi", ".kar", ".smf"}
ABC_SUFFIXES = {".abc"}
FOLK_COLLECTIONS = ("essenFolksong", "oneills1850", "ryansMammoth")
DEFAULT_MAX_FILE_MB = 64.0


@dataclass(frozen=True)
class InputFile:
    path: Path
    kind: str  # "midi" | "abc"
    label: str  # how the manifest names it
    split_name: str = ""
    """What the train/validation split hashes: the path below the folder given (the file's name when the file
    itself was given), so that a collection gets the same split wherever it lies; the label when empty."""

    @property
    def split_key(self) -> str:
        return self.split_name or self.label


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


MUSIC21_CORPORA = {"bach": ("bach",), "quartets": ("beethoven", "haydn", "mozart")}
"""music21's multi-part scores a `--corpus` name adds: Bach's chorales and other four-part works, and the
string quartets (Palestrina, whose files ask for a licence agreement, is left out)."""
SCORE_SUFFIXES = {".mxl", ".xml", ".musicxml", ".krn"}
VOICE_PROGRAMS = {"soprano": 40, "alto": 41, "tenor": 42, "bass": 43}
"""General MIDI programs for parts that name a voice and no instrument (the chorales): a string ensemble's
voicing, violin, viola, cello and contrabass, so each voice keeps its own instrument."""


def corpus_files(name: str) -> list[InputFile]:
    """The files a `--corpus` name stands for: the folk ABC collections, or music21's multi-part scores."""
    if name == "folk":
        return folk_corpus_files()
    root = folk_corpus_dir()
    files = [InputFile(path, "music21", f"music21:{path.relative_to(root).as_posix()}")
             for folder in MUSIC21_CORPORA[name] for path in sorted((root / folder).rglob("*"))
             if path.suffix.lower() in SCORE_SUFFIXES and path.is_file()]
    if not files:
        raise FileNotFoundError(f"music21's {name} scores not found under {root}")
    return files


def load_music21_segments(path: Path) -> list[Segment]:
    """A music21 score's segments, each part on its own track with a General MIDI program: the part's
    instrument's, else the voice it names (VOICE_PROGRAMS), else a piano."""
    import music21

    try:
        score = music21.converter.parse(str(path))
    except Exception as err:
        raise BadInput("unreadable", f"music21 cannot read the score ({' '.join(str(err).split())[:120]})") from None
    for part in getattr(score, "parts", []):
        instrument = part.getInstrument()
        if instrument.midiProgram is None:
            name = (part.partName or instrument.instrumentName or "").strip().lower()
            instrument.midiProgram = next((p for voice, p in VOICE_PROGRAMS.items() if voice in name), 0)
    with _quiet_fds():
        data = music21.midi.translate.streamToMidiFile(score).writestr()
    return midi_segments_from_bytes(data)


def discover(inputs: list[str | Path]) -> tuple[list[InputFile], list[tuple[str, str, str]]]:
    """MIDI and ABC files among `inputs` (directories searched recursively, symbolic links to folders followed
    once each), and the inputs that could not be used as (path, reason code, detail): nothing is skipped
    without a line in the manifest."""
    found: list[InputFile] = []
    problems: list[tuple[str, str, str]] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            before = len(found), len(problems)
            _walk(path, found, problems, set(), path)
            if (len(found), len(problems)) == before:
                problems.append((str(path), "no_inputs", "directory holds no .mid/.midi/.abc files"))
        else:
            _one_file(path, found, problems)
    return found, problems


def _one_file(path: Path, found: list[InputFile], problems: list, root: Path | None = None) -> None:
    """A file given or met below the folder `root`: an input, or a problem named for what it is."""
    if path.is_file():
        split_name = path.relative_to(root).as_posix() if root is not None else path.name
        found.append(InputFile(path, "abc" if path.suffix.lower() in ABC_SUFFIXES else "midi", str(path), split_name))
    elif path.is_symlink() and not path.exists():
        problems.append((str(path), *_dangling_link(path)))
    elif path.exists():
        problems.append((str(path), "not_regular", not_regular_reason(path)))
    else:
        problems.append((str(path), "missing", "no such file or directory"))


def _dangling_link(path: Path) -> tuple[str, str]:
    """(reason, detail) of a link that leads nowhere: a loop, or a missing target."""
    try:
        path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 and 3.12 report a loop so
        return "link_loop", "symbolic link loop (the links point at each other)"
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "link_loop", "symbolic link loop (the links point at each other)"
    return "missing", "broken symbolic link (its target does not exist)"


def _walk(folder: Path, found: list[InputFile], problems: list, seen: set, root: Path) -> None:
    """Every input below `folder`, in name order; a folder that cannot be listed is reported, and a folder
    reached twice through links is read once."""
    try:
        real = folder.resolve()
        if real in seen:
            return
        seen.add(real)
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except PermissionError:
        problems.append((str(folder), "unreadable", "folder cannot be listed (permission denied)"))
        return
    except OSError as err:
        problems.append((str(folder), "unreadable", f"folder cannot be listed ({err.strerror or err})"))
        return
    for entry in entries:
        if entry.is_dir():
            _walk(entry, found, problems, seen, root)
        elif entry.suffix.lower() in MIDI_SUFFIXES | ABC_SUFFIXES:
            _one_file(entry, found, problems, root)


def not_regular_reason(path: Path) -> str:
    import stat

    mode = path.stat().st_mode
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):
        if test(mode):
            return f"{kind}, not a regular file"
    return "not a regular file"


# ----------------------------------------------------------------------------- MIDI
def read_input_bytes(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> bytes:
    """The bytes of an input file, or BadInput / FileNotFoundError with a one-line reason."""
    path = Path(path)
    if path.is_dir():
        raise BadInput("not_midi", "a directory, not a MIDI file")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if not path.is_file():
        raise BadInput("not_midi", not_regular_reason(path))
    size = path.stat().st_size
    if size > max_file_mb * 1e6:
        raise BadInput("too_large", f"file too large ({size / 1e6:.1f} MB > {max_file_mb:g} MB limit)")
    try:
        return path.read_bytes()
    except OSError as err:
        raise BadInput("unreadable", f"cannot read the file ({err.strerror or err})") from None


def check_midi_bytes(data: bytes, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> None:
    """Header checks that the parser would otherwise turn into crashes or nonsense."""
    if len(data) == 0:
        raise BadInput("empty_file", "empty file")
    if len(data) > max_file_mb * 1e6:
        raise BadInput("too_large", f"file too large ({len(data) / 1e6:.1f} MB > {max_file_mb:g} MB limit)")
    if data[:4] != b"MThd":
        raise BadInput("not_midi", f"not a MIDI file (starts with {data[:4]!r}, expected b'MThd')")
    if len(data) < 14:
        raise BadInput("corrupt", f"truncated MIDI header ({len(data)} bytes)")
    division = int.from_bytes(data[12:14], "big")
    if division & 0x8000:
        raise BadInput("bad_timing", "SMPTE time division (frames per second) is not supported, only ticks per beat")
    if division == 0:
        raise BadInput("bad_timing", "zero ticks per beat in the MIDI header")


def midi_segments_from_bytes(data: bytes, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> list[Segment]:
    """Segments of a MIDI file held in memory; BadInput with a one-line reason when it cannot be used."""
    import symusic

    check_midi_bytes(data, max_file_mb)
    try:
        score = symusic.Score.from_midi(data)
    except Exception as err:  # symusic raises RuntimeError with the parser's reason
        raise BadInput("corrupt", f"unreadable MIDI ({' '.join(str(err).split())[:160]})") from None
    if any(int(t.mspq) <= 0 for t in score.tempos):
        raise BadInput("bad_timing", "a tempo of 0 microseconds per beat")
    if any(int(t.numerator) <= 0 or int(t.denominator) <= 0 for t in score.time_signatures):
        raise BadInput("bad_timing", "a time signature with a zero numerator or denominator")
    return segments_from_score(score)


def load_midi_segments(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB, every_track: bool = False
                       ) -> list[Segment]:
    """A MIDI file's segments; with beat annotations beside it (POP909), on the annotated beats and chords (its
    melody track alone unless `every_track`)."""
    data = read_input_bytes(path, max_file_mb)
    if is_annotated(path):
        check_midi_bytes(data)
        return annotated_segments(path, every_track)
    return midi_segments_from_bytes(data, max_file_mb)


# ----------------------------------------------------------------------------- ABC
def split_abc_tunes(text: str) -> tuple[str, list[str]]:
    """(file header, tunes): each tune starts at an `X:` line; the header applies to all."""
    parts = re.split(r"(?m)^(?=X:)", text)
    header = "" if parts[0].startswith("X:") else parts[0]
    tunes = [p for p in parts if p.startswith("X:")]
    return header, tunes


def read_abc(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> str:
    """An ABC file's text (UTF-8, else Latin-1); over `max_file_mb` it is reported, not read."""
    size = path.stat().st_size
    if size > max_file_mb * 1024 * 1024:
        raise BadInput("too_large", f"{size / 1024 / 1024:.1f} MB, over the {max_file_mb:g} MB limit (--max-file-mb)")
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
    segments = segments_from_score(score)
    for segment in segments:  # abc2midi plays chord symbols ("G", "Am7") on the tracks after the tune's own
        segment.track_names = {index: name if index == 0 else "chords"
                               for index, name in (segment.track_names or {}).items()}
    return segments


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
