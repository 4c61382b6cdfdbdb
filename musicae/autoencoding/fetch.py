"""Fetching files over HTTP: several mirrors, resumable (HTTP Range), verified by checksum.

Shared by the MNIST and POP909 downloaders; tested against loopback servers only.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm


@dataclass(frozen=True)
class Resource:
    filename: str
    md5: str | None = None
    """None: the file is verified by what it holds instead (see pop909.py)."""
    size: int | None = None
    """Its length in bytes, when known: a shorter file is resumed, never taken as whole; no more is read."""
    max_bytes: int = 512 * 1024 * 1024
    """With no known size, a mirror that streams more than this (no length given, or a wrong one) is cut off."""


class ShortRead(OSError):
    """The connection closed before the file was whole: the next attempt resumes where this one stopped."""


class NotTheFile(OSError):
    """The mirror sent something else (another length, or more than the file can be): what it sent is
    dropped, and the next mirror starts afresh."""


CHUNK = 1 << 16


class DownloadError(RuntimeError):
    pass


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url: str, partial: Path, timeout: float, progress: bool, resource: Resource) -> None:
    """Append the rest of `url` to `partial`, resuming with an HTTP Range request. Raises ShortRead when the
    body ends before its announced (or known) length, and NotTheFile when it runs past it."""
    have = partial.stat().st_size if partial.exists() else 0
    if resource.size is not None and have >= resource.size:
        return
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # asked past the end: we already have it all
            return
        raise
    with response:
        if have and response.status != 206:  # server ignored the range: start over
            have = 0
            partial.unlink(missing_ok=True)
        announced = response.headers.get("Content-Length")
        total = int(announced) + have if announced and announced.isdigit() else None
        if resource.size is not None and total is not None and total != resource.size:
            raise NotTheFile(f"the server announces {total} bytes, and the file has {resource.size}")
        expected = resource.size if resource.size is not None else total
        limit = expected if expected is not None else resource.max_bytes
        with open(partial, "ab") as f, tqdm(total=expected, initial=have, unit="B", unit_scale=True,
                                             desc=partial.name, disable=not progress) as bar:
            for block in iter(lambda: response.read(CHUNK), b""):
                if have + len(block) > limit:
                    raise NotTheFile(f"more than the {limit} bytes expected: cut off")
                f.write(block)
                have += len(block)
                bar.update(len(block))
        if expected is not None and have < expected:
            raise ShortRead(f"the connection closed at {have} of {expected} bytes")


def download(data_dir: Path, resources, mirrors, timeout: float = 30.0, progress: bool = True) -> list[Path]:
    """Fetch every resource into data_dir, verified by md5; files already there and valid are kept."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for resource in resources:
        target = data_dir / resource.filename
        if target.exists() and (resource.md5 is None or md5sum(target) == resource.md5):
            done.append(target)
            continue
        partial = target.with_name(target.name + ".part")
        errors = []
        for mirror in mirrors:
            url = mirror + resource.filename
            try:
                _fetch(url, partial, timeout, progress, resource)
            except (urllib.error.URLError, OSError, http.client.HTTPException) as err:  # the part is kept: the
                # next mirror resumes it
                errors.append(f"{url}: {getattr(err, 'reason', err)}")
                if isinstance(err, NotTheFile):
                    partial.unlink(missing_ok=True)
                continue
            if resource.md5 is None or md5sum(partial) == resource.md5:
                os.replace(partial, target)
                done.append(target)
                break
            errors.append(f"{url}: checksum mismatch")
            partial.unlink(missing_ok=True)
        else:
            raise DownloadError(f"{resource.filename}: every mirror failed ({'; '.join(errors)})")
    return done
