"""Hand-made Standard MIDI File bytes, for malformed and hostile inputs."""

import struct


def varlen(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def track(events: bytes) -> bytes:
    events += b"\x00\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(events)) + events


def one_note(division: int = 96, tempo: int = 500000, length: int = 96, pitch: int = 60) -> bytes:
    """A one-track file with a tempo and one note of `length` ticks."""
    events = b"\x00\xff\x51\x03" + tempo.to_bytes(3, "big") + bytes([0, 0x90, pitch, 64])
    events += varlen(length) + bytes([0x80, pitch, 64])
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, division) + track(events)


def notes_file(tracks: list[list[tuple[int, int, int]]], division: int = 96, drums: tuple[int, ...] = ()) -> bytes:
    """Format-1 file; each track a list of (pitch, start_step, end_step) in sixteenths at 120 qpm, on
    channel 10 (drums) for the track numbers in `drums`. Track 0 holds the tempo and 4/4."""
    step = division // 4
    chunks = [track(b"\x00\xff\x51\x03" + (500000).to_bytes(3, "big") + b"\x00\xff\x58\x04\x04\x02\x18\x08")]
    for number, notes in enumerate(tracks):
        channel = 9 if number in drums else number % 9
        events, now = [], 0
        for pitch, start, end in notes:
            events += [(start * step, bytes([0x90 | channel, pitch, 80])), (end * step, bytes([0x80 | channel, pitch, 0]))]
        data = b""
        for time, message in sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 == 0x90)):
            data += varlen(time - now) + message
            now = time
        chunks.append(track(data))
    return b"MThd" + struct.pack(">IHHH", 6, 1, len(chunks), division) + b"".join(chunks)
