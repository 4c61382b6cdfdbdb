"""Atomic checkpoints: safetensors for tensors, JSON for everything else. No pickle anywhere.

Layout of a checkpoint directory:
    model.safetensors    the model's state_dict
    config.json          {"kind": registry name, "config": dataclass fields}
    state.safetensors    optimizer tensors and RNG state (training checkpoints only)
    trainer.json         step, optimizer hyper-parameters, anything JSON-able
    files.json           size and SHA-256 of each file above, written last: a checkpoint is used only if they match
A run directory keeps `checkpoints/step-XXXXXXXX/` and a `latest` file naming the newest.
Each checkpoint is written into a temporary directory and renamed into place, and only
then does `latest` move (write-then-rename too), so a crash at any point leaves the
previous checkpoint intact and `latest` pointing at it.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

CHECKPOINTS_DIR = "checkpoints"
LATEST = "latest"
FILES = "files.json"


class DamagedCheckpoint(ValueError):
    """No intact checkpoint where one was expected; the message says which and why."""


def _owner() -> str:
    """This process, as temporary names carry it: host and pid."""
    return f"{socket.gethostname()}-{os.getpid()}"


def remove_stale_temporaries(folder: Path, name: str) -> list[Path]:
    """Remove the temporaries of `name` in `folder` left by a process of this host that is gone (a kill -9
    mid-write): they would stay hidden there for good. Another host's, or a live process's, are left alone."""
    host = socket.gethostname()
    removed = []
    for tmp in Path(folder).glob(f".{glob.escape(name)}.{glob.escape(host)}-*.tmp"):
        pid = tmp.name[len(f".{name}.{host}-"):].split(".", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a temporary file beside `path` and rename it over `path`: readers never see half a file, and a
    symbolic link at `path` is replaced by the file, never written through (its target stays as it was)."""
    path = Path(path)
    remove_stale_temporaries(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{_owner()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600: give the mode any other new file gets
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """safetensors writes its files 0600; give them the mode any other new file gets (umask)."""
    save_file(_contiguous(tensors), str(path))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _contiguous(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().contiguous().cpu() for k, v in tensors.items()}


def optimizer_to_flat(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer state_dict into tensors (for safetensors) and JSON metadata."""
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entry in state["state"].items():
        for key, value in entry.items():
            if torch.is_tensor(value):
                tensors[f"optimizer.{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def optimizer_from_flat(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if not name.startswith("optimizer."):
            continue
        _, index, key = name.split(".", 2)
        state.setdefault(int(index), {})[key] = value
    for index, entries in meta.get("scalars", {}).items():
        state.setdefault(int(index), {}).update(entries)
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def copy_weights(target: torch.nn.Module, source: torch.nn.Module, what: str, prefix: str = "") -> list[str]:
    """Load every tensor of `target` from `source`, whose tensors must have the same names and shapes (a model
    started whole from trained weights: a second stage with other settings, or a run carried on from a shipped
    model). A misfit raises ValueError naming the tensor, before anything is copied. Returns the names copied."""
    mine, theirs = target.state_dict(), source.state_dict()
    for key, value in mine.items():
        if key not in theirs or theirs[key].shape != value.shape:
            got = tuple(theirs[key].shape) if key in theirs else "nothing"
            raise ValueError(f"{prefix}{key}: {what} needs shape {tuple(value.shape)}, the trained model has {got} "
                             f"(its sizes must match)")
    target.load_state_dict({key: theirs[key].to(value.dtype) for key, value in mine.items()})
    return [f"{prefix}{key}" for key in mine]


def save_model(directory: Path, model: torch.nn.Module, config: dict[str, Any],
               extra: dict[str, str | bytes] | None = None) -> Path:
    """Write model weights + config (+ `extra` text or binary files by name) atomically into `directory`
    (replaced if present); files.json lists and hashes them all."""
    with atomic_directory(directory) as tmp:
        _save_tensors(model.state_dict(), tmp / "model.safetensors")
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        for name, content in (extra or {}).items():
            if isinstance(content, bytes):
                (tmp / name).write_bytes(content)
            else:
                (tmp / name).write_text(content)
        write_file_list(tmp)
    return Path(directory)


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `target` to fill; on success it replaces `target`, on any error it
    is removed and `target` is left as it was."""
    target = Path(target).resolve()  # "." and "out/" name their folder, not an empty name
    tmp = temp_sibling(target)
    try:
        yield tmp
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def temp_sibling(target: Path) -> Path:
    """A new empty folder beside `target`, to be filled and renamed into place by `replace_dir`."""
    target = Path(target).resolve()
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target}: is an existing file, not a folder; choose another --out")
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent, target.name)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.{_owner()}.", suffix=".tmp"))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 would otherwise become the folder's mode
    return tmp


def replace_dir(tmp: Path, target: Path) -> None:
    """Move a fully written directory into place, replacing `target`; the old one is gone only after."""
    if target.exists():
        trash = target.with_name(f".{target.name}.old")
        shutil.rmtree(trash, ignore_errors=True)
        os.replace(target, trash)
        os.replace(tmp, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, target)


def save_training_checkpoint(
    run_dir: Path,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    config: dict[str, Any],
    trainer_state: dict[str, Any],
    keep: int = 3,
) -> Path:
    """Write a full training checkpoint for `step`, then point `latest` at it."""
    root = Path(run_dir) / CHECKPOINTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    name = f"step-{step:08d}"
    with atomic_directory(root / name) as tmp:
        _save_tensors(model.state_dict(), tmp / "model.safetensors")
        opt_tensors, opt_meta = optimizer_to_flat(optimizer)
        rng = {"rng.torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            for i, s in enumerate(torch.cuda.get_rng_state_all()):
                rng[f"rng.cuda.{i}"] = s
        _save_tensors({**opt_tensors, **rng}, tmp / "state.safetensors")
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        (tmp / "trainer.json").write_text(json.dumps({**trainer_state, "step": step, "optimizer": opt_meta}, indent=2))
        write_file_list(tmp)
    atomic_write_text(root / LATEST, name + "\n")
    _prune(root, keep)
    return root / name


def _prune(root: Path, keep: int) -> None:
    if keep <= 0:
        return
    checkpoints = sorted(p for p in root.glob("step-*") if p.is_dir())
    latest = (root / LATEST).read_text().strip()
    for old in checkpoints[:-keep]:
        if old.name != latest:
            shutil.rmtree(old, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_file_list(directory: Path) -> None:
    """Record the size and SHA-256 of every file of a checkpoint directory (in files.json, written last)."""
    directory = Path(directory)
    listing = {p.name: {"size": p.stat().st_size, "sha256": _sha256(p)}
               for p in sorted(directory.iterdir()) if p.is_file() and p.name != FILES}
    (directory / FILES).write_text(json.dumps(listing, indent=1))


def checkpoint_problem(path: Path, full: bool = True) -> str | None:
    """Why the checkpoint in `path` cannot be used, or None when it is intact.

    Checks each file against files.json (sizes; with `full`, SHA-256 too). A checkpoint written before
    files.json existed is checked for its files being present and non-empty.
    """
    path = Path(path)
    if not path.is_dir():
        return "does not exist"
    listing_path = path / FILES
    if not listing_path.exists():
        for name in ("model.safetensors", "config.json"):
            if not (path / name).is_file() or (path / name).stat().st_size == 0:
                return f"{name} is missing or empty"
        return None
    try:
        listing = json.loads(listing_path.read_text())
    except (OSError, json.JSONDecodeError):
        return f"{FILES} is unreadable"
    for name, expected in listing.items():
        file = path / name
        if not file.is_file():
            return f"{name} is missing"
        size = file.stat().st_size
        if size != expected["size"]:
            return f"{name} is {size} bytes, expected {expected['size']}"
        if full and _sha256(file) != expected["sha256"]:
            return f"{name} does not match its checksum"
    return None


def intact_checkpoint(run_dir: Path, full: bool = False) -> tuple[Path | None, list[str]]:
    """The newest intact checkpoint of a run, and notes on each damaged or missing one passed over.

    `latest` is tried first; when it names a missing or damaged checkpoint, the newest intact
    `step-*` directory is used instead.
    """
    root = Path(run_dir) / CHECKPOINTS_DIR
    notes: list[str] = []
    candidates: list[Path] = []
    pointer = root / LATEST
    if pointer.exists():
        try:
            candidates.append(root / pointer.read_text().strip())
        except OSError:
            notes.append(f"{pointer}: unreadable")
    candidates += sorted((p for p in root.glob("step-*") if p.is_dir()), reverse=True)
    seen = set()
    for candidate in candidates:
        if candidate in seen:
            continue
        seen.add(candidate)
        problem = checkpoint_problem(candidate, full=full)
        if problem is None:
            return candidate, notes
        notes.append(f"checkpoint {candidate.name} {problem}")
    return None, notes


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest intact checkpoint of a run directory (sizes checked), or None."""
    return intact_checkpoint(run_dir)[0]


def resolve_checkpoint(path: Path, full: bool = True) -> Path:
    """Accept a checkpoint directory, its model.safetensors, or a run directory; the checkpoint is checked
    against its files.json, SHA-256 included (`full`): a flipped byte must not load silently. The readers below
    check sizes only: they are handed what a loader resolved, and need not hash it again."""
    path = Path(path)
    if path.is_file() and path.suffix == ".safetensors":
        path = path.parent
    if (path / "model.safetensors").exists() and (path / "config.json").exists():
        problem = checkpoint_problem(path, full=full)
        if problem:
            raise DamagedCheckpoint(f"{path}: damaged checkpoint ({problem})")
        return path
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such checkpoint or run directory")
    latest, notes = intact_checkpoint(path, full=full)
    if latest is not None:
        if notes:  # an older checkpoint than the run's newest: say so, in one line
            print(f"note: {path}: {'; '.join(notes)}; using {latest.name}", file=sys.stderr)
        return latest
    if notes:
        raise DamagedCheckpoint(f"{path}: no intact checkpoint ({'; '.join(notes)})")
    raise FileNotFoundError(f"{path}: not a checkpoint (no model.safetensors + config.json) and no run with checkpoints")


def load_config(path: Path) -> dict[str, Any]:
    path = resolve_checkpoint(path, full=False)
    try:
        record = json.loads((path / "config.json").read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path / 'config.json'}: invalid JSON ({err})") from None
    if not isinstance(record, dict) or "config" not in record:
        raise ValueError(f"{path / 'config.json'}: not a model config (no 'kind' and 'config')")
    return record


def load_weights(path: Path, model: torch.nn.Module) -> None:
    path = resolve_checkpoint(path, full=False)
    try:
        weights = load_file(str(path / "model.safetensors"))
    except Exception as err:  # safetensors raises its own error types on a damaged file
        raise DamagedCheckpoint(f"{path / 'model.safetensors'}: unreadable ({err})") from None
    model.load_state_dict(weights)


def load_training_state(path: Path, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore optimizer and RNG state; return trainer.json's content."""
    path = resolve_checkpoint(path, full=False)
    meta = json.loads((path / "trainer.json").read_text())
    tensors = load_file(str(path / "state.safetensors"))
    optimizer_from_flat(optimizer, tensors, meta["optimizer"])
    torch.set_rng_state(tensors["rng.torch"])
    cuda_states = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda.")]
    if cuda_states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states)
    return meta
