from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"


def synthetic_digits(n: int, seed: int):
    """MNIST-like 28x28 digits: font glyphs, jittered and rotated, with their labels."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=22)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.uint8)
    for i, label in enumerate(labels):
        image = Image.new("L", (28, 28), 0)
        ImageDraw.Draw(image).text((8 + int(rng.integers(-2, 3)), 1 + int(rng.integers(-2, 3))), str(label), fill=255,
                                   font=font, stroke_width=int(rng.integers(0, 2)), stroke_fill=255)
        images[i] = np.array(image.rotate(float(rng.uniform(-15, 15)), resample=Image.BILINEAR))
    return images, labels


@pytest.fixture(scope="session")
def synthetic_mnist_dir(tmp_path_factory) -> Path:
    """A small MNIST look-alike in the official IDX layout (train-5k-* and t10k-*), made here."""
    from image_ae.data import write_idx

    root = tmp_path_factory.mktemp("synthetic_mnist")
    for prefix, n, seed in (("train-5k", 1200, 0), ("t10k", 600, 1)):
        images, labels = synthetic_digits(n, seed)
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(root / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return root


@pytest.fixture(scope="session")
def real_mnist_dir() -> Path:
    """Only for checks of the shared files themselves (their class counts)."""
    if not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"shared MNIST not found at {SHARED_MNIST}")
    return SHARED_MNIST


@pytest.fixture(scope="session", params=["real", "synthetic"])
def mnist_dir(request) -> Path:
    """Each image test runs on the synthetic IDX files, and on real MNIST when ../shared has it (without
    it, the real-data case runs on the synthetic files too, so that nothing is skipped)."""
    if request.param == "real" and (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists():
        return SHARED_MNIST
    return request.getfixturevalue("synthetic_mnist_dir")


@pytest.fixture(scope="session")
def folk_midi_dir(tmp_path_factory) -> Path:
    """Real folk tunes from music21's bundled corpus, converted to MIDI files by abc2midi (symusic)."""
    import symusic

    from musicae.music.data.inputs import FOLK_COLLECTIONS, _quiet_fds, folk_corpus_dir, split_abc_tunes

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

    from musicae.music.encodings.melody_extraction import windows_from_midi

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


CHORALE_PROGRAMS = {"bach/bwv66.6": (40, 41, 42, 43), "bach/bwv7.7": (0, 33, 68, 71)}
"""Two Bach chorales from music21's corpus, their four voices given General MIDI programs (a string quartet;
piano, bass, oboe and clarinet): real multi-part music for the multitrack tests."""


@pytest.fixture(scope="session")
def chorales(tmp_path_factory) -> dict:
    """Name -> pretty_midi.PrettyMIDI of each chorale in CHORALE_PROGRAMS, written to MIDI by music21."""
    import music21
    import pretty_midi

    folder = tmp_path_factory.mktemp("chorales")
    found = {}
    for name, programs in CHORALE_PROGRAMS.items():
        path = folder / (name.replace("/", "_") + ".mid")
        music21.corpus.parse(name).write("midi", fp=str(path))
        midi = pretty_midi.PrettyMIDI(str(path))
        for instrument, program in zip(midi.instruments, programs):
            instrument.program = program
        found[name] = midi
    return found
