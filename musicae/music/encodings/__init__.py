"""The encodings: each kind of music as named streams, converted both ways (scores <-> tensors <-> notes).

Importing this package registers every encoding it ships; `get_encoding(name)` finds one.
"""

from musicae.music.encodings.base import ENCODINGS, SequenceEncoding, Stream, get_encoding, register_encoding
from musicae.music.encodings.drums import DRUMS
from musicae.music.encodings.groove import GROOVE, GROOVE_HUMANIZE, GROOVE_TAP
from musicae.music.encodings.melody import MELODY
from musicae.music.encodings.melody_chords import MELODY_CHORDS
from musicae.music.encodings.multitrack import MULTITRACK, MULTITRACK_CHORDS
from musicae.music.encodings.trio import TRIO

for _encoding in (MELODY, MELODY_CHORDS, DRUMS, GROOVE, GROOVE_HUMANIZE, GROOVE_TAP, MULTITRACK, MULTITRACK_CHORDS,
                  TRIO):
    register_encoding(_encoding)

__all__ = ["ENCODINGS", "SequenceEncoding", "Stream", "get_encoding", "register_encoding"]
