"""The multitrack bar vocabulary (issue 22's first piece): real multi-part music goes to tokens and back note
for note, and what the tokens cannot hold is refused with a reason."""

import numpy as np
import pretty_midi
import pytest

from musicae.music.encodings import get_encoding
from musicae.music.encodings import multitrack_events as mt
from musicae.music.inference.conversions import windows_from_midi_file


def bars_of(midi: pretty_midi.PrettyMIDI) -> list[list[mt.Track]]:
    """A constant-tempo 4/4 file cut into bars of quantized tracks, one per instrument."""
    step = 60.0 / midi.get_tempo_changes()[1][0] / mt.STEPS_PER_QUARTER
    end = int(round(midi.get_end_time() / step))
    bars = []
    for first in range(0, end, mt.STEPS_PER_BAR):
        tracks = []
        for instrument in midi.instruments:
            notes = []
            for n in instrument.notes:
                start, stop = int(round(n.start / step)) - first, int(round(n.end / step)) - first
                if 0 <= start < mt.STEPS_PER_BAR and stop > start:
                    notes.append((n.pitch, start, min(stop, mt.STEPS_PER_BAR), n.velocity))
            tracks.append(mt.Track(instrument.program, instrument.is_drum, tuple(notes)))
        bars.append(tracks)
    return bars


def file_measures(midi: pretty_midi.PrettyMIDI, folder) -> tuple[list[int], np.ndarray, dict]:
    """(bars, tokens, refusals) of a file as every command reads it (the multitrack encoding's 1-bar windows):
    the bars numbered from the file's first (0), (N, 8, 64) tokens, the refused bars by reason."""
    path = folder / "piece.mid"
    midi.write(str(path))
    try:
        found = windows_from_midi_file(path, 1, None, get_encoding("multitrack"))
    except ValueError:  # nothing to read: no window
        return [], np.zeros((0, mt.MAX_TRACKS, mt.TRACK_TOKENS)), {}
    refused = {k[len("refused_"):]: v for k, v in found.counts.items() if k.startswith("refused_") and v}
    return [int(b) for b in found.origins[:, 3]], found.rows["tracks"], refused


@pytest.fixture
def chorale(chorales):
    """Bach's BWV 66.6, its voices played by violin, viola, cello and contrabass."""
    return chorales["bach/bwv66.6"]


def test_a_chorale_goes_to_tokens_and_back_note_for_note(chorale):
    bars = bars_of(chorale)
    assert len(bars) >= 8
    compared = 0
    for tracks in bars:
        wanted = sorted((t.is_drum, t.program, s, p, e, mt.bin_velocity(mt.velocity_bin(v)))
                        for t in tracks for p, s, e, v in t.notes)
        if not wanted:
            continue
        tokens = mt.bar_tokens(tracks)
        assert tokens.shape == (mt.MAX_TRACKS, mt.TRACK_TOKENS) and tokens.max() < mt.VOCABULARY
        programs = [int(row[0]) - mt.PROGRAM for row in tokens if row[0] != mt.END]
        assert programs == sorted(programs) and (tokens[len(programs):] == mt.END).all()
        back = sorted((n.is_drum, n.program, n.start, n.pitch, n.end, n.velocity) for n in mt.tokens_to_notes(tokens))
        assert back == wanted
        compared += len(wanted)
    assert compared > 100


def test_drums_sort_last_and_velocities_keep_their_bin():
    drums = mt.Track(0, True, tuple((36 + i % 3, 24 * i, 24 * i + 6, 10 + 30 * i) for i in range(4)))
    bass = mt.Track(33, False, ((40, 0, 48, 100), (43, 48, 96, 64)))
    tokens = mt.bar_tokens([drums, bass])
    assert tokens[0, 0] == mt.PROGRAM + 33 and tokens[1, 0] == mt.DRUMS
    notes = mt.tokens_to_notes(tokens)
    assert [n.is_drum for n in notes] == [False, False, True, True, True, True]
    assert [n.velocity for n in notes if n.is_drum] == [mt.bin_velocity(mt.velocity_bin(v)) for v in (10, 40, 70, 100)]
    assert all(mt.velocity_bin(mt.bin_velocity(b)) == b for b in range(mt.VELOCITY_BINS))
    assert [mt.velocity_bin(v) for v in (1, 127)] == [0, mt.VELOCITY_BINS - 1]


@pytest.mark.parametrize("tracks, reason", [
    ([], "empty_bar"),
    ([mt.Track(p, False, ((60, 0, 4, 80),)) for p in range(9)], "too_many_tracks"),
    ([mt.Track(0, False, tuple((60 + i % 2, i, i + 1, 80) for i in range(40)))], "track_too_busy"),
    ([mt.Track(0, False, ((60, 96, 100, 80),))], "empty_bar"),
])
def test_what_the_tokens_cannot_hold_is_refused_with_a_reason(tracks, reason):
    with pytest.raises(mt.BarRefused) as refused:
        mt.bar_tokens(tracks)
    assert refused.value.reason == reason and str(refused.value)


def test_a_models_odd_tokens_still_read_as_notes():
    tokens = np.full((2, mt.TRACK_TOKENS), mt.END, dtype=np.int16)
    tokens[0, :4] = [mt.PROGRAM + 0, mt.NOTE_OFF + 61, mt.NOTE_ON + 60, mt.SHIFT + 11]  # off without on; left on
    tokens[1, :3] = [mt.NOTE_ON + 64, mt.SHIFT, mt.NOTE_OFF + 64]  # no program token: not a track
    notes = mt.tokens_to_notes(tokens)
    assert [(n.pitch, n.start, n.end) for n in notes] == [(60, 0, mt.STEPS_PER_BAR)]


def test_a_file_is_cut_into_its_4_4_measures_on_its_own_beats(tmp_path):
    """Bars 1-2 at 120 qpm, bars 3-4 at 60 qpm, bar 5 in 3/4: the notes land on their steps across the tempo
    change, and the 3/4 bar is counted, not silently lost."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    bass, drums = pretty_midi.Instrument(33, name="bass"), pretty_midi.Instrument(0, is_drum=True, name="drums")
    # the tempo change at 4 s (the end of bar 2) goes in through pretty_midi's tick scale: rebuilt from ticks
    midi._tick_scales = [(0, 60.0 / (120 * midi.resolution)), (8 * midi.resolution, 60.0 / (60 * midi.resolution))]
    midi._update_tick_to_time(20 * midi.resolution)
    midi.time_signature_changes = [pretty_midi.TimeSignature(4, 4, 0.0), pretty_midi.TimeSignature(3, 4, 12.0)]
    for bar, (start, seconds_per_beat) in enumerate([(0.0, 0.5), (2.0, 0.5), (4.0, 1.0), (8.0, 1.0)]):
        bass.notes.append(pretty_midi.Note(90, 40 + bar, start, start + 2 * seconds_per_beat))  # two beats
        drums.notes.append(pretty_midi.Note(100, 36, start + seconds_per_beat, start + 1.1 * seconds_per_beat))
    bass.notes.append(pretty_midi.Note(90, 50, 12.0, 13.0))  # in the 3/4 bar
    midi.instruments = [drums, bass]
    bars, tokens, refused = file_measures(midi, tmp_path)
    assert bars == [0, 1, 2, 3] and refused == {"not_4_4": 1}
    for number, bar in zip(bars, tokens):
        notes = mt.tokens_to_notes(bar)
        pitched = [(n.pitch, n.start, n.end, n.program) for n in notes if not n.is_drum]
        assert pitched == [(40 + number, 0, 2 * mt.STEPS_PER_QUARTER, 33)]
        assert [(n.pitch, n.start) for n in notes if n.is_drum] == [(36, mt.STEPS_PER_QUARTER)]


def test_a_chorales_measures_hold_its_notes(chorale, tmp_path):
    bars, tokens, refused = file_measures(chorale, tmp_path)
    assert len(bars) >= 8 and tokens.shape[1:] == (mt.MAX_TRACKS, mt.TRACK_TOKENS)
    assert bars == sorted(bars) and not refused
    kept = sum(len(mt.tokens_to_notes(t)) for t in tokens)
    assert kept == sum(len(i.notes) for i in chorale.instruments)  # every note starts in some 4/4 measure
    assert {n.program for t in tokens for n in mt.tokens_to_notes(t)} == {40, 41, 42, 43}


def test_empty_and_one_note_files_and_silent_bars_are_accounted_for(tmp_path):
    midi = pretty_midi.PrettyMIDI()
    assert file_measures(midi, tmp_path)[0] == []  # no note: no measure, and no error
    piano = pretty_midi.Instrument(0)
    piano.notes.append(pretty_midi.Note(80, 60, 0.0, 0.3))  # shorter than a beat
    midi.instruments.append(piano)
    assert file_measures(midi, tmp_path)[0] == [0]
    piano.notes.append(pretty_midi.Note(80, 62, 100.0, 100.3))  # bar 50 at 120 qpm, silence between
    bars, _, refused = file_measures(midi, tmp_path)
    assert bars == [0, 50]


def test_bars_written_as_midi_read_back_to_the_same_tokens(chorale, tmp_path):
    """Programs, drums on channel 10, velocities and GM track names survive a MIDI file."""
    import mido

    from musicae.music.encodings.notes import notes_to_pretty_midi

    _, tokens, _ = file_measures(chorale, tmp_path)
    drums = mt.Track(0, True, tuple((36 + 2 * (i % 2), 12 * i, 12 * i + 3, 20 + 12 * i) for i in range(8)))
    bars = [tokens[0], tokens[1], mt.bar_tokens([drums, mt.Track(33, False, ((40, 0, 96, 90),))])]
    notes = [n for k, bar in enumerate(bars) for n in mt.tokens_to_notes(bar, bar_start=k * mt.STEPS_PER_BAR)]
    path = tmp_path / "bars.mid"
    notes_to_pretty_midi(notes, qpm=100, steps_per_quarter=mt.STEPS_PER_QUARTER).write(str(path))
    numbers, back, _ = file_measures(pretty_midi.PrettyMIDI(str(path)), tmp_path)
    assert numbers == [0, 1, 2]
    np.testing.assert_array_equal(back, np.stack(bars))
    names = {i.name for i in pretty_midi.PrettyMIDI(str(path)).instruments}
    assert {"Violin", "Viola", "Cello", "Contrabass", "Electric Bass (finger)", "Drums"} == names
    channels = {m.channel for t in mido.MidiFile(str(path)).tracks for m in t if m.type == "note_on"}
    assert 9 in channels  # drums on channel 10
