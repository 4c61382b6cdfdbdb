"""Chord symbols: every POP909 label and the usual lead-sheet spellings, MusicVAE's 49 classes."""

from pathlib import Path

import pytest

from musicae.music.encodings.chords import (
    NO_CHORD,
    NUM_CHORD_CLASSES,
    UnknownChord,
    chord_name,
    chord_pitches,
    parse_chord,
    parse_progression,
    transpose_chord,
)

POP909 = Path(__file__).resolve().parents[2] / "shared" / "data" / "pop909"


@pytest.mark.parametrize("symbol, name", [
    ("C", "C"), ("Cm", "Cm"), ("C7", "C"), ("Bb:maj", "Bb"), ("N", "N"), ("G:maj", "G"), ("A:min", "Am"),
    ("Am7", "Am"), ("F#m", "F#m"), ("Bbmaj7", "Bb"), ("C/E", "C"), ("Bm7b5", "Bdim"), ("Cdim", "Cdim"),
    ("Caug", "Caug"), ("C+", "Caug"), ("E:hdim7", "Edim"), ("C:sus2", "C"), ("A:min7/b7", "Am"), ("Db", "C#"),
    ("Gb:maj", "F#"), ("Cb", "B"), ("E#m", "Fm"), ("D:sus4(b7)", "D"), ("Ab:minmaj7", "G#m".replace("G#", "Ab")),
])
def test_symbols_reduce_to_their_triad(symbol, name):
    assert chord_name(parse_chord(symbol)) == name


@pytest.mark.parametrize("symbol", ["H", "Cx7", "C:blues", "cm", "C/H", "Q:maj", "7"])
def test_an_unknown_symbol_is_named_in_one_line(symbol):
    with pytest.raises(UnknownChord) as caught:
        parse_chord(symbol)
    message = str(caught.value)
    assert repr(symbol) in message and "\n" not in message


def test_classes_cover_the_vocabulary_and_transpose():
    classes = {parse_chord(f"{root}{quality}") for root in ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb",
                                                            "B") for quality in ("", "m", "aug", "dim")}
    assert classes | {NO_CHORD} == set(range(NUM_CHORD_CLASSES))
    assert transpose_chord(parse_chord("C"), 2) == parse_chord("D")
    assert transpose_chord(parse_chord("Bm"), 3) == parse_chord("Dm")
    assert transpose_chord(NO_CHORD, 5) == NO_CHORD
    assert chord_pitches(parse_chord("Am")) == [57, 60, 64] and chord_pitches(NO_CHORD) == []
    assert parse_progression("C G | Am, F") == [parse_chord(s) for s in ("C", "G", "Am", "F")]
    with pytest.raises(UnknownChord, match="empty"):
        parse_progression("  ")


def test_every_chord_label_of_pop909_parses():
    files = sorted(POP909.glob("*/chord_midi.txt"))
    if not files:
        pytest.skip("../shared/data/pop909 is not here")
    labels = {line.split("\t")[2].strip() for f in files for line in f.read_text().splitlines() if line.strip()}
    assert len(labels) > 300
    parsed = {label: parse_chord(label) for label in labels}
    assert parsed["N"] == NO_CHORD and chord_name(parsed["G:maj"]) == "G" and chord_name(parsed["A:min7"]) == "Am"
    assert len(set(parsed.values())) == NUM_CHORD_CLASSES  # every class occurs in POP909
