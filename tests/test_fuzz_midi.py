"""A seeded mutator of real MIDI bytes: parsing, extraction and `prepare` never raise a traceback and
never lose an item. (A few thousand cases; the seed makes any failure reproducible.)"""

import json
import random

from midi_bytes import notes_file

from musicae.music.data.inputs import BadInput, midi_segments_from_bytes
from musicae.music.data.prepare import PrepareOptions, prepare
from musicae.music.encodings.melody_extraction import ExtractOptions, windows_from_segments

CASES = 3000


def seeds(folk_midi_dir, music21_midi_files) -> list[bytes]:
    files = sorted(folk_midi_dir.glob("*.mid"))[:6] + [p for p in music21_midi_files if p.stat().st_size < 20_000][:6]
    return [p.read_bytes() for p in files] + [notes_file([[(60, 0, 4), (62, 4, 8)], [(36, 0, 1)]], drums=(1,))]


def mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(7)
        position = rng.randrange(len(data)) if data else 0
        if kind == 0 and data:  # flip bits
            data[position] ^= 1 << rng.randrange(8)
        elif kind == 1 and data:  # a random byte
            data[position] = rng.randrange(256)
        elif kind == 2:  # insert bytes
            data[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == 3 and data:  # delete a run
            del data[position : position + rng.randint(1, 16)]
        elif kind == 4:  # truncate
            del data[rng.randrange(len(data) + 1) :]
        elif kind == 5 and len(data) >= 14:  # header fields: format, tracks, division
            field = rng.choice((8, 10, 12))
            data[field : field + 2] = rng.choice((0, 1, 0x7FFF, 0x8000, 0xE728, 0xFFFF, rng.randrange(65536))).to_bytes(2, "big")
        elif kind == 6 and data:  # a huge varlen delta or chunk length
            data[position:position] = rng.choice((b"\x8f\xff\xff\x7f", b"\xff\xff\xff\xff", b"\x00\xff\x51\x03\x00\x00\x00"))
    return bytes(data)


def test_mutated_midi_parses_or_gets_a_reason(folk_midi_dir, music21_midi_files):
    rng = random.Random(20261128)
    originals = seeds(folk_midi_dir, music21_midi_files)
    outcomes = {"windows": 0, "no_window": 0, "bad_input": 0}
    for _ in range(CASES):
        data = mutate(rng.choice(originals), rng)
        try:
            segments = midi_segments_from_bytes(data)
        except BadInput as err:
            assert err.reason_code and err.detail and "\n" not in err.detail
            outcomes["bad_input"] += 1
            continue
        result = windows_from_segments(segments, ExtractOptions(any_meter=rng.random() < 0.5))
        if len(result.windows):
            assert result.windows.max() < 90 and len(result.origins) == len(result.windows)
            outcomes["windows"] += 1
        else:
            assert result.reason, result
            outcomes["no_window"] += 1
    assert all(outcomes.values()), outcomes  # the mutator reaches every outcome


def test_prepare_accounts_for_every_mutated_file(tmp_path, folk_midi_dir, music21_midi_files):
    rng = random.Random(7)
    originals = seeds(folk_midi_dir, music21_midi_files)
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(300):
        (inputs / f"m{i:03d}.mid").write_bytes(mutate(rng.choice(originals), rng))
    stats = prepare([inputs], tmp_path / "out", PrepareOptions(use_cache=False, progress=False, workers=2))
    manifest = [json.loads(line) for line in (tmp_path / "out" / "manifest.jsonl").open()]
    assert stats["items"] == len(manifest) == 300
    assert stats["ok"] + stats["skipped"] + stats["error"] == 300
    assert "internal" not in stats["by_reason"], [r for r in manifest if r["reason"] == "internal"][:3]


def test_mutated_drum_files_give_drum_and_groove_rows_or_a_reason():
    """The drum encodings on mutated drum files (hand-made beats and, when ../shared has it, real GMD
    performances): rows in range for every stream, or a reason; never an exception."""
    from pathlib import Path

    from musicae.music.encodings import get_encoding
    from musicae.music.encodings.base import ExtractOptions as Options

    groove = Path(__file__).resolve().parents[2] / "shared" / "data" / "groove"
    beats = [notes_file([[(36 + (i * 7) % 16, i, i + 1) for i in range(0, 64, 2)]], drums=(0,))]
    beats += [p.read_bytes() for p in sorted(groove.glob("drummer1/session1/*beat*.mid"))[:4]]
    encodings = [get_encoding(name) for name in ("drums", "groove", "groove_humanize", "groove_tap")]
    rng = random.Random(20261202)
    outcomes = {"rows": 0, "no_row": 0, "bad_input": 0}
    for _ in range(600):
        data = mutate(rng.choice(beats), rng)
        try:
            segments = midi_segments_from_bytes(data)
        except BadInput:
            outcomes["bad_input"] += 1
            continue
        encoding = rng.choice(encodings)
        options = Options(any_meter=rng.random() < 0.5, any_notes=rng.random() < 0.5)
        found = encoding.extract(segments, options)
        if len(found):
            encoding.check_rows(found.rows)  # every stream in its range and dtype
            assert len(found.origins) == len(found)
            outcomes["rows"] += 1
        else:
            assert found.reason, found
            outcomes["no_row"] += 1
    assert all(outcomes.values()), outcomes


def test_mutated_multi_instrument_files_give_multitrack_and_trio_rows_or_a_reason(chorales, tmp_path):
    """The multitrack, multitrack_chords and trio encodings on mutated multi-instrument files (two Bach chorales
    on four instruments, a band of melody, bass and drums): rows in range whose every bar reads back as notes,
    or a reason; never an exception."""
    from musicae.music.encodings import get_encoding
    from musicae.music.encodings.base import ExtractOptions as Options
    from musicae.music.encodings.multitrack_events import tokens_to_notes

    seeds = []
    for name, midi in chorales.items():
        path = tmp_path / f"{name.replace('/', '_')}.mid"
        midi.write(str(path))
        seeds.append(path.read_bytes())
    band = [[(72 + i % 5, i, i + 1) for i in range(32)], [(36 + i % 3, 2 * i, 2 * i + 2) for i in range(16)],
            [(36 if i % 4 == 0 else 42, i, i + 1) for i in range(32)]]
    seeds.append(notes_file(band, drums=(2,)))
    rng = random.Random(20261207)
    outcomes = {"rows": 0, "no_row": 0, "bad_input": 0}
    for _ in range(400):
        data = mutate(rng.choice(seeds), rng)
        try:
            segments = midi_segments_from_bytes(data)
        except BadInput:
            outcomes["bad_input"] += 1
            continue
        name = rng.choice(("multitrack", "multitrack_chords", "trio"))
        encoding = get_encoding(name)
        found = encoding.extract(segments, Options(bars=rng.choice((1, 2)) if name != "trio" else 2))
        if len(found):
            encoding.check_rows(found.rows)
            assert len(found.origins) == len(found)
            if name != "trio":
                for row in found.rows["tracks"]:
                    assert tokens_to_notes(row[:8])  # a kept bar plays
            outcomes["rows"] += 1
        else:
            assert found.reason, found
            outcomes["no_row"] += 1
    assert all(outcomes.values()), outcomes
