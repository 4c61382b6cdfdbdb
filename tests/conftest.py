from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    if not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"shared MNIST not found at {SHARED_MNIST}")
    return SHARED_MNIST


@pytest.fixture(scope="session")
def folk_midi_dir(tmp_path_factory) -> Path:
    """Real folk tunes from music21's bundled corpus, converted to MIDI files by abc2midi (symusic)."""
    import symusic

    from musicae.music.corpus import FOLK_COLLECTIONS, _quiet_fds, folk_corpus_dir, split_abc_tunes

    out = tmp_path_factory.mktemp("folk_midi")
    root = folk_corpus_dir()
    for collection, filename, count in ((FOLK_COLLECTIONS[0], "erk5.abc", 40), (FOLK_COLLECTIONS[1], "0001-0050.abc", 40)):
        header, tunes = split_abc_tunes((root / collection / filename).read_text(encoding="latin-1"))
        for index, tune in enumerate(tunes[:count]):
            try:
                with _quiet_fds():
                    score = symusic.Score.from_abc(header + tune)
                score.dump_midi(str(out / f"{collection}_{index:03d}.mid"))
            except Exception:
                continue
    return out


@pytest.fixture(scope="session")
def folk_windows(folk_midi_dir):
    import numpy as np

    from musicae.music.extract import windows_from_midi

    windows = np.concatenate([windows_from_midi(p) for p in sorted(folk_midi_dir.glob("*.mid"))])
    assert len(windows) > 100
    return windows


@pytest.fixture(scope="session")
def music21_midi_files() -> list[Path]:
    """Real MIDI files that ship inside music21: single and multi-track, tempo changes, odd meters."""
    import music21

    root = Path(music21.__file__).parent
    files = sorted((root / "midi" / "testPrimitive").glob("*.mid")) + sorted((root / "omr").glob("*.mid"))
    assert files
    return files
