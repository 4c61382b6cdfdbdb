"""A collection's own train / validation / test lists (the Groove MIDI Dataset's info.csv, say).

Without one, prepare splits by a hash of each source's name (`writer.is_validation`). With one, every source
goes where its collection says: figures reported on the official validation split stay comparable with
other work, and the test split is never read. A source the table does not list is reported, not guessed.
"""

from __future__ import annotations

import csv
from pathlib import PurePath

PATH_COLUMNS = ("midi_filename", "path", "file", "filename", "midi")
SPLIT_NAMES = {"train": "train", "training": "train", "valid": "valid", "validation": "valid", "val": "valid",
               "dev": "valid", "test": "test", "eval": "test"}
NOT_LISTED = "not_in_split_file"
TEST_SPLIT = "test_split"


class SplitTable:
    """split_of(source) -> 'train', 'valid', 'test' or None, by the trailing path components of the source."""

    def __init__(self, entries: dict[tuple[str, ...], str], origin: str = ""):
        self.origin = origin
        self._by_name: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for parts, split in entries.items():
            self._by_name.setdefault(parts[-1], []).append((parts, split))

    @classmethod
    def read(cls, path) -> SplitTable:
        """A CSV with a header naming a path column (midi_filename, path, file, ...) and a `split` column."""
        try:
            with open(path, newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                header = [h.strip().lower() for h in (reader.fieldnames or [])]
                column = next((c for c in PATH_COLUMNS if c in header), None)
                if column is None or "split" not in header:
                    raise ValueError(f"{path}: a split file needs a header with a `split` column and one of "
                                     f"{', '.join(PATH_COLUMNS)}")
                names = dict(zip(header, reader.fieldnames))
                entries: dict[tuple[str, ...], str] = {}
                for line, row in enumerate(reader, start=2):
                    rel, split = (row.get(names[column]) or "").strip(), (row.get(names["split"]) or "").strip()
                    if not rel:
                        continue
                    if split.lower() not in SPLIT_NAMES:
                        raise ValueError(f"{path}: line {line}: split {split!r} is none of "
                                         f"{', '.join(sorted(set(SPLIT_NAMES)))}")
                    entries[PurePath(rel.replace("\\", "/")).parts] = SPLIT_NAMES[split.lower()]
        except FileNotFoundError:
            raise ValueError(f"{path}: split file not found") from None
        except (UnicodeDecodeError, csv.Error) as err:
            raise ValueError(f"{path}: not a readable CSV ({err})") from None
        if not entries:
            raise ValueError(f"{path}: the split file lists no files")
        return cls(entries, str(path))

    def split_of(self, source: str) -> str | None:
        parts = PurePath(source.split("#", 1)[0]).parts  # an ABC tune is listed by its file
        for listed, split in self._by_name.get(parts[-1] if parts else "", ()):
            if parts[-len(listed):] == listed:
                return split
        return None

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_name.values())
