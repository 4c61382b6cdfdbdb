"""A notebook-style tour of the Python API, cell by cell (`# %%`); the test suite runs it.

    python docs/example_api.py [OUT_DIR]
"""

# %% Load the shipped models: the high-KL one to give melodies back, the low-KL one to sample from
import sys
from pathlib import Path

from musicae.music.inference import api
from musicae.music.inference.trained_model import example_melodies

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out/example_api")
out.mkdir(parents=True, exist_ok=True)
give_back = api.load(job="reconstruct")  # mel_2bar_folk_hikl when shipped, else mel_2bar_folk
sampler = api.load(job="sample")  # mel_2bar_folk
a, b = example_melodies()[:2]

# %% Reconstruct a tune: a pretty_midi.PrettyMIDI at the input's tempo and meter
tune = give_back.name, api.reconstruct(give_back, a)
tune[1].write(str(out / "reconstruction.mid"))
print(f"{tune[0]} gave back {len(tune[1].instruments[0].notes)} notes of {a.name}")

# %% Interpolate: 7 points from A to B, both ends included
path = api.interpolate(give_back, a, b, steps=7)
for i, point in enumerate(path):
    point.write(str(out / f"path_{i}.mid"))
print(f"{len(path)} points, {sum(len(p.instruments[0].notes) for p in path)} notes in all")

# %% Sample at temperature 0.5, on a flute at 90 bpm
for i, melody in enumerate(api.sample(sampler, 4, temperature=0.5, seed=1, qpm=90, program=73)):
    melody.write(str(out / f"sample_{i}.mid"))

# %% Encode: the posterior means of A's windows
z = api.encode(give_back, a)
print(f"z: {z.shape}")
