"""`musicae download pop909` against a loopback server serving an archive built from the real files."""

import json
import zipfile
from pathlib import Path

import pytest

from musicae.autoencoding.fetch import DownloadError
from musicae.music.data.pop909 import download_pop909, expected_songs, song_digest
from tests.http_server import RangeHandler, serving

POP909 = Path(__file__).resolve().parents[2] / "shared" / "data" / "pop909"
SONGS = ("001", "002", "003")


@pytest.fixture
def archive_site(tmp_path):
    if not (POP909 / "001" / "001.mid").exists():
        pytest.skip("../shared/data/pop909 is not here")
    site = tmp_path / "site"
    site.mkdir()
    with zipfile.ZipFile(site / "master.zip", "w") as zipped:
        zipped.writestr("POP909-Dataset-master/README.md", "POP909")
        for song in SONGS:
            for path in sorted((POP909 / song).iterdir()):
                zipped.write(path, f"POP909-Dataset-master/POP909/{song}/{path.name}")
        zipped.writestr("POP909-Dataset-master/POP909/../../evil.txt", "outside")
    with serving(site) as url:
        yield site, url + "/"


def test_download_extracts_and_verifies_every_song(archive_site, tmp_path):
    site, url = archive_site
    expected = {song: expected_songs()[song] for song in SONGS}
    result = download_pop909(tmp_path / "pop909", mirrors=("http://127.0.0.1:9/nothing/", url), expected=expected,
                             progress=False)
    assert result["songs"] == 3 and result["mismatched"] == [] and result["downloaded"]
    assert sorted(p.name for p in (tmp_path / "pop909").iterdir()) == list(SONGS)
    assert sorted(p.name for p in (tmp_path / "pop909" / "001").iterdir()) == ["001.mid", "beat_midi.txt",
                                                                              "chord_midi.txt"]
    assert not (tmp_path / "evil.txt").exists() and not list(tmp_path.glob(".*download*"))
    # a second run finds every song intact and fetches nothing
    RangeHandler.requests.clear()
    assert download_pop909(tmp_path / "pop909", mirrors=(url,), expected=expected, progress=False)["downloaded"] is False
    assert RangeHandler.requests == []


def test_a_song_that_differs_is_reported_not_kept_and_a_partial_archive_resumes(archive_site, tmp_path):
    site, url = archive_site
    expected = {song: expected_songs()[song] for song in SONGS} | {"004": "0" * 32}
    cache = tmp_path / ".pop909.download"
    cache.mkdir()
    data = (site / "master.zip").read_bytes()
    (cache / "master.zip.part").write_bytes(data[:1000])
    result = download_pop909(tmp_path / "pop909", mirrors=(url,), expected=expected, progress=False)
    assert result["songs"] == 3 and result["missing"] == ["004"]
    assert RangeHandler.requests == [("/master.zip", "bytes=1000-")]
    assert all(song_digest(tmp_path / "pop909" / s) == expected[s] for s in SONGS)


def test_nothing_matching_and_a_bad_archive_are_one_line_errors(archive_site, tmp_path, capsys):
    from musicae.cli import main

    site, url = archive_site
    with pytest.raises(DownloadError, match="no song of the archive matches"):
        download_pop909(tmp_path / "a", mirrors=(url,), expected={"001": "f" * 32}, progress=False)
    (site / "master.zip").write_bytes(b"not a zip")
    assert main(["download", "pop909", "--out", str(tmp_path / "b"), "--mirror", url, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a readable zip archive" in err
    assert not (tmp_path / "b").exists() and not (tmp_path / ".b.download").exists()
    json.dumps(expected_songs())  # the shipped list is plain JSON of 909 songs
    assert len(expected_songs()) == 909


def test_the_users_files_in_song_folders_survive_a_download(archive_site, tmp_path):
    """The songs already there are kept, and so is everything else in the folder: the download adds each
    song's three files and touches nothing else (it used to swap the whole folder)."""
    site, url = archive_site
    expected = {song: expected_songs()[song] for song in SONGS}
    out = tmp_path / "pop909"
    (out / "001").mkdir(parents=True)
    (out / "001" / "my_labels.txt").write_text("mine")
    (out / "001" / "001_audio.txt").write_text("audio notes")
    (out / ".notes").write_text("my notes")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main")
    result = download_pop909(out, mirrors=(url,), expected=expected, progress=False)
    assert result["songs"] == 3
    assert (out / "001" / "my_labels.txt").read_text() == "mine"
    assert (out / "001" / "001_audio.txt").read_text() == "audio notes"
    assert (out / ".notes").read_text() == "my notes" and (out / ".git" / "HEAD").exists()
    assert all(song_digest(out / s) == expected[s] for s in SONGS)


def test_an_archive_member_that_would_expand_too_far_is_refused(tmp_path):
    """A 1 MB zip holding a 1 GiB member once inflated it all (2.27 GB RSS, 1 GiB on disk)."""
    from musicae.music.data.pop909 import MAX_MEMBER_BYTES, extract

    archive = tmp_path / "master.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("POP909-Dataset-master/POP909/001/001.mid", b"\0" * (MAX_MEMBER_BYTES + 10))
    with pytest.raises(DownloadError, match="would expand to"):
        extract(archive, tmp_path / "pop909", {"001": "0" * 32})
    assert not (tmp_path / "pop909").exists() and not list(tmp_path.glob(".pop909*"))
