"""The downloader against a loopback HTTP server only: never the internet."""

import hashlib

import pytest

from image_ae.download import DownloadError, Resource, download
from tests.http_server import RangeHandler, serving


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    (root / "good").mkdir(parents=True)
    (root / "bad").mkdir()
    with serving(root) as url:
        yield root, url


def test_download_falls_back_to_a_working_mirror_and_verifies(tmp_path, server):
    root, url = server
    payload = bytes(range(256)) * 1000
    (root / "good" / "a.gz").write_bytes(payload)
    (root / "bad" / "a.gz").write_bytes(b"corrupted copy")
    resource = Resource("a.gz", hashlib.md5(payload).hexdigest())
    mirrors = (f"{url}/missing/", f"{url}/bad/", f"{url}/good/")
    (path,) = download(tmp_path / "data", [resource], mirrors, progress=False)
    assert path.read_bytes() == payload
    assert not list((tmp_path / "data").glob("*.part"))
    # a second call finds the verified file and asks nothing
    RangeHandler.requests.clear()
    download(tmp_path / "data", [resource], mirrors, progress=False)
    assert RangeHandler.requests == []


def test_download_resumes_a_partial_file(tmp_path, server):
    root, url = server
    payload = b"0123456789" * 5000
    (root / "good" / "b.gz").write_bytes(payload)
    data = tmp_path / "data"
    data.mkdir()
    (data / "b.gz.part").write_bytes(payload[:20000])
    download(data, [Resource("b.gz", hashlib.md5(payload).hexdigest())], (f"{url}/good/",), progress=False)
    assert (data / "b.gz").read_bytes() == payload
    assert RangeHandler.requests == [("/good/b.gz", "bytes=20000-")]


def test_download_reports_every_mirror_failure(tmp_path, server):
    root, url = server
    (root / "bad" / "c.gz").write_bytes(b"wrong")
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download(tmp_path / "d", [Resource("c.gz", "0" * 32)], (f"{url}/bad/", f"{url}/missing/"), progress=False)


def test_a_dropped_connection_is_resumed_through_the_next_mirror(tmp_path, server):
    """A mirror that hangs up half-way leaves a part that the next mirror completes (a short file was taken
    as whole); a known size is never exceeded, nor a part of it deleted."""
    root, url = server
    payload = bytes(range(256)) * 800
    for folder in ("drop", "good"):
        (root / folder).mkdir(exist_ok=True)
        (root / folder / "d.gz").write_bytes(payload)
    resource = Resource("d.gz", hashlib.md5(payload).hexdigest(), len(payload))
    (path,) = download(tmp_path / "data", [resource], (f"{url}/drop/", f"{url}/good/"), progress=False)
    assert path.read_bytes() == payload
    assert RangeHandler.requests == [("/drop/d.gz", None), ("/good/d.gz", f"bytes={len(payload) // 2}-")]


def test_a_mirror_streaming_without_length_is_cut_off_at_the_bound(tmp_path, server):
    root, url = server
    (root / "nolength").mkdir()
    (root / "nolength" / "e.gz").write_bytes(b"x" * 100_000)  # far more than the file can be
    payload = b"the real file"
    (root / "good" / "e.gz").write_bytes(payload)
    resource = Resource("e.gz", hashlib.md5(payload).hexdigest(), max_bytes=1000)
    (path,) = download(tmp_path / "data", [resource], (f"{url}/nolength/", f"{url}/good/"), progress=False)
    assert path.read_bytes() == payload
    with pytest.raises(DownloadError, match="cut off"):
        download(tmp_path / "other", [Resource("e.gz", "0" * 32, max_bytes=1000)], (f"{url}/nolength/",),
                 progress=False)
