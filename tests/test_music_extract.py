"""Extraction rules on hand-built NoteSequences with hand-computed windows, and the note-seq equivalence."""

import numpy as np
import pytest
from music_helpers import c, sequence

from musicae.music.data.segments import segments_from_note_sequence
from musicae.music.encodings.melody_extraction import (
    ExtractOptions,
    melodies_from_notes,
    reference_windows_from_midi,
    windows_from_midi,
    windows_from_note_sequence,
    windows_from_segments,
)


def W(*events):
    return np.array(events, dtype=np.uint8)


def explain(ns, **kw):
    return windows_from_segments(segments_from_note_sequence(ns), ExtractOptions(**kw))


SCALE = [(60, 0, 4), (62, 4, 8), (64, 8, 16), (65, 16, 20), (67, 24, 32)]
SCALE_WINDOW = W(c(60), 0, 0, 0, c(62), 0, 0, 0, c(64), *[0] * 7, c(65), 0, 0, 0, 1, 0, 0, 0, c(67), *[0] * 7)


def test_simple_melody_one_window():
    windows = windows_from_note_sequence(sequence(SCALE))
    assert windows.shape == (1, 32)
    np.testing.assert_array_equal(windows[0], SCALE_WINDOW)


def test_polyphony_keeps_highest_and_later_onset_cuts():
    notes = [(60, 0, 8), (64, 0, 4), (67, 2, 8), (55, 8, 32)]
    windows = windows_from_note_sequence(sequence(notes))
    # 64 beats 60 at step 0; 67 cuts 64 at step 2; 55 then sounds to the end
    np.testing.assert_array_equal(windows[0], W(c(64), 0, c(67), 0, 0, 0, 0, 0, c(55), *[0] * 23))


def test_drums_and_out_of_range_notes_are_dropped():
    notes = [*SCALE, (36, 0, 2, 1, True), (38, 8, 10, 1, True), (10, 12, 14), (115, 13, 14)]
    windows = windows_from_note_sequence(sequence(notes))
    np.testing.assert_array_equal(windows, SCALE_WINDOW[None])
    drums = explain(sequence([(36, 0, 2, 0, True), (38, 16, 20, 0, True)]))
    assert len(drums.windows) == 0 and drums.reason == "drums_only"
    assert explain(sequence([(10, 0, 40), (118, 0, 40)])).reason == "out_of_range"


def test_zero_velocity_notes_are_ignored():
    notes = [*SCALE, (90, 2, 3, 0, False, 0)]
    np.testing.assert_array_equal(windows_from_note_sequence(sequence(notes)), SCALE_WINDOW[None])


def test_three_four_piece_is_skipped_unless_any_meter():
    notes = [(60, 0, 12), (62, 12, 24), (64, 24, 36), (65, 36, 48)]  # four 3/4 bars of dotted halves
    result = explain(sequence(notes, time_signature=(3, 4)))
    assert len(result.windows) == 0 and result.reason == "meter" and "3/4" in result.detail
    any_meter = explain(sequence(notes, time_signature=(3, 4)), any_meter=True)
    # 48 steps of melody, 32-step windows sliding one 12-step bar: starts 0 and 12
    expected = np.array([c(60), *[0] * 11, c(62), *[0] * 11, c(64), *[0] * 11, c(65), *[0] * 11], np.uint8)
    np.testing.assert_array_equal(any_meter.windows, np.stack([expected[0:32], expected[12:44]]))


def test_tempo_change_splits_the_piece():
    # 2 bars at 120 qpm (4 s), then the tempo halves; 2 more bars at 60 qpm (8 s)
    ns = sequence([(60, 0, 32)], extra_tempos=[(4.0, 60.0)])
    ns.notes.add(pitch=62, start_time=4.0, end_time=4.0 + 4 * 0.25, velocity=90)  # 4 steps at 60 qpm
    ns.notes.add(pitch=64, start_time=5.0, end_time=12.0, velocity=90)  # 28 steps
    ns.total_time = 12.0
    windows = windows_from_note_sequence(ns)
    assert windows.shape == (2, 32)
    np.testing.assert_array_equal(windows[0], W(c(60), *[0] * 31))
    np.testing.assert_array_equal(windows[1], W(c(62), 0, 0, 0, c(64), *[0] * 27))
    assert len(segments_from_note_sequence(ns)) == 2


def test_time_signature_change_splits_and_keeps_only_four_four():
    # 2 bars of 4/4 (4 s), then 3/4 from there on
    ns = sequence([(60, 0, 16), (62, 16, 32), (64, 32, 44), (65, 44, 56)], extra_signatures=[(4.0, (3, 4))])
    windows = windows_from_note_sequence(ns)
    np.testing.assert_array_equal(windows, W(c(60), *[0] * 15, c(62), *[0] * 15)[None])


def test_silence_of_a_bar_ends_a_melody():
    first = [(60, 0, 8), (62, 8, 16)]  # one bar
    # 16 silent steps after the last note: a new melody starts, too short alone for 2 bars
    gap = [(64, 32, 48), (65, 48, 64)]
    windows = windows_from_note_sequence(sequence(first + gap))
    np.testing.assert_array_equal(windows, W(c(64), *[0] * 15, c(65), *[0] * 15)[None])
    # 15 silent steps: still one melody, four bars long -> three windows
    close = [(64, 31, 48), (65, 48, 64)]
    assert windows_from_note_sequence(sequence(first + close)).shape == (3, 32)


def test_melody_shorter_than_a_bar_is_padded_and_too_short_for_a_window():
    start, end, pitch = np.array([0]), np.array([4]), np.array([60])
    ((melody_start, melody),) = melodies_from_notes(start, end, pitch, steps_per_bar=16, gap_bars=1)
    assert melody_start == 0
    assert melody == [60, -2, -2, -2, -1] + [-2] * 11  # padded to a bar, the note ended
    result = explain(sequence([(60, 0, 4)]))
    assert len(result.windows) == 0 and result.reason == "too_short"


def test_melody_starts_at_the_bar_of_its_first_note():
    windows = windows_from_note_sequence(sequence([(60, 20, 36), (62, 36, 52)]))
    np.testing.assert_array_equal(windows[0], W(*[0] * 4, c(60), *[0] * 15, c(62), *[0] * 11))


def test_windows_slide_one_bar_and_are_deduplicated():
    phrase = [(60, 0, 16), (62, 16, 32)]
    notes = [(p, s + k * 32, e + k * 32) for k in range(3) for p, s, e in phrase]  # 6 bars: ABABAB
    windows = windows_from_note_sequence(sequence(notes))
    # windows at bars 0..4 are AB, BA, AB, BA, AB: two distinct
    assert windows.shape == (2, 32)
    assert windows_from_note_sequence(sequence(notes), ExtractOptions(bars=4)).shape == (2, 64)


def test_window_cap_is_random_but_seeded():
    notes = [(50 + k, 8 * k, 8 * k + 8) for k in range(40)]  # 20 bars, 19 distinct windows
    all_windows = windows_from_note_sequence(sequence(notes))
    assert len(all_windows) == 19
    capped = windows_from_segments(segments_from_note_sequence(sequence(notes)), ExtractOptions(max_windows_per_file=5, seed=1), "a")
    again = windows_from_segments(segments_from_note_sequence(sequence(notes)), ExtractOptions(max_windows_per_file=5, seed=1), "a")
    other = windows_from_segments(segments_from_note_sequence(sequence(notes)), ExtractOptions(max_windows_per_file=5, seed=2), "a")
    assert len(capped.windows) == 5
    np.testing.assert_array_equal(capped.windows, again.windows)
    assert not np.array_equal(capped.windows, other.windows)
    assert {w.tobytes() for w in capped.windows} <= {w.tobytes() for w in all_windows}


@pytest.mark.parametrize("bars", [2, 16])
def test_fast_path_equals_note_seq_path_on_real_midi(music21_midi_files, folk_midi_dir, bars):
    files = list(music21_midi_files) + sorted(folk_midi_dir.glob("*.mid"))[:40]
    options = ExtractOptions(bars=bars)
    total = 0
    for path in files:
        fast, reference = windows_from_midi(path, options), reference_windows_from_midi(path, options)
        np.testing.assert_array_equal(fast, reference, err_msg=str(path))
        total += len(fast)
    assert total > (100 if bars == 2 else 5)
