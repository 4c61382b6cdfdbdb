"""Shrink a WAV for the README: mono, a lower rate, at most --seconds long (faded out when cut), so that a
tour of sounds stays a few MB in the repository. Usage: python scripts/docs_wav.py SRC DST [--rate 16000]
[--seconds 32]"""

from __future__ import annotations

import argparse
import wave

import numpy as np


def shrink(source: str, target: str, rate: int, seconds: float) -> dict:
    with wave.open(source) as wav:
        channels, width, old_rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    if width != 2:
        raise SystemExit(f"{source}: {8 * width}-bit samples; expected 16-bit")
    audio = np.frombuffer(frames, np.int16).reshape(-1, channels).astype(np.float64).mean(1)
    # resample by linear interpolation after a moving-average low-pass as wide as one output sample
    width_in = max(1, round(old_rate / rate))
    audio = np.convolve(audio, np.ones(width_in) / width_in, mode="same")
    times = np.arange(0, len(audio) / old_rate, 1 / rate)
    audio = np.interp(times, np.arange(len(audio)) / old_rate, audio)
    keep = int(seconds * rate)
    if len(audio) > keep:
        audio = audio[:keep]
        fade = min(len(audio), rate)  # one second
        audio[-fade:] *= np.linspace(1, 0, fade)
    with wave.open(target, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.clip(audio, -32768, 32767).astype(np.int16).tobytes())
    return {"source": source, "target": target, "seconds": round(len(audio) / rate, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--rate", type=int, default=16000)
    parser.add_argument("--seconds", type=float, default=32.0)
    args = parser.parse_args()
    print(shrink(args.source, args.target, args.rate, args.seconds))


if __name__ == "__main__":
    main()
