"""musicae: autoencoders and VAEs in PyTorch, for melodies (MusicVAE-style) and images.

The music API is here too, loaded on first use (so that `import musicae` and the command line's --help stay
fast; torch comes in with the first model):

    import musicae
    model = musicae.load()                       # the default model; or "drums_2bar", a run folder
    tune = musicae.reconstruct(model, "tune.mid")
"""

__version__ = "0.1.0"

API = ("load", "read", "to_midi", "sample", "reconstruct", "interpolate", "encode")
"""The names of musicae.music.inference.api that `musicae.NAME` gives."""


def __getattr__(name: str):
    if name in API:
        from musicae.music.inference import api

        return getattr(api, name)
    raise AttributeError(f"module 'musicae' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *API])
