"""Mistakes get one line and a non-zero exit, never a traceback; nonsense values are refused; string
options are checked; defaults tell the truth; piping works."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from musicae.autoencoding.config import ConfigError
from musicae.cli import main
from musicae.music.encodings.melody import windows_to_midi
from musicae.music.models.configs import DEFAULT_CONFIG, SEQUENCE_CONFIGS, MelodyVAEConfig, SequenceVAEConfig


@pytest.fixture(scope="module")
def setup(tmp_path_factory, folk_windows):
    from musicae.music.data.prepare import PrepareOptions, write_dataset

    root = tmp_path_factory.mktemp("errors")
    results = [({"source": f"s{i}", "status": "ok", "reason": None, "detail": "", "windows": 1}, folk_windows[i:i + 1])
               for i in range(40)]
    write_dataset(root / "data", results, PrepareOptions(valid_fraction=0.25))
    write_dataset(root / "data16", [(results[0][0], np.zeros((1, 256), np.uint8))], PrepareOptions(valid_fraction=0.0,
                  extract=__import__("musicae.music.encodings.melody_extraction", fromlist=["ExtractOptions"]).ExtractOptions(bars=16)))
    assert main(["train", "--data", str(root / "data"), "--out", str(root / "run"), "--config", "mel_2bar_tiny",
                 "--steps", "4", "--no-progress", "--eval-every", "0"]) == 0
    windows_to_midi(folk_windows[:3], root / "a.mid")
    (root / "afile").write_text("mine")
    (root / "adir").mkdir()
    return root


def one_line_error(capsys, *argv, prog=main):
    code = prog([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code != 0, argv
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


CASES = [
    # train: nonsense values and bad devices
    ("train", "--steps", 0), ("train", "--checkpoint-every", 0), ("train", "--checkpoint-every", -1),
    ("train", "--log-every", 0), ("train", "--batch-size", 0), ("train", "--batch-size", -3),
    ("train", "--device", "bogus"), ("train", "--device", "cuda:7"), ("train", "--z-dim", 0),
    ("train", "--max-beta", -1), ("train", "--sampling-mode", "stepwize"), ("train", "--decoder", "flatt"),
    ("train", "--lr", "nan"),
    # evaluate
    ("evaluate", "--limit", 0), ("evaluate", "--limit", -5), ("evaluate", "--batch-size", -1),
    ("evaluate", "--data", "{data16}"),
    # generation
    ("sample", "--temperature", -1), ("sample", "--temperature", "nan"), ("sample", "--temperature", "inf"),
    ("sample", "-n", 0), ("sample", "--out", "{afile}"),
    ("interpolate", "--steps", 100000), ("interpolate", "--steps", 1), ("interpolate", "--bar", -1),
    ("interpolate", "--in", "{adir}"), ("reconstruct", "--in", "{adir}"),
    ("encode", "--out", "{adir}"),
    # prepare
    ("prepare", "--bars", 0), ("prepare", "--bars", -2), ("prepare", "--valid-fraction", 1.0),
    ("prepare", "--valid-fraction", -0.1), ("prepare", "--max-windows-per-file", -1), ("prepare", "--out", "{afile}"),
]


def build(setup, command, *extra):
    extra = [str(x).format(data16=setup / "data16", afile=setup / "afile", adir=setup / "adir") for x in extra]
    flags = dict(zip(extra[::2], extra[1::2]))
    run, data = str(setup / "run"), str(setup / "data")
    inputs = [flags.pop("--in")] if "--in" in flags else [str(setup / "a.mid")]
    if command == "train":
        base = ["train", "--data", data, "--out", str(setup / "new-run"), "--config", "mel_2bar_tiny", "--no-progress"]
    elif command == "evaluate":
        base = ["evaluate", "--checkpoint", run, "--data", flags.pop("--data", data)]
    elif command == "sample":
        base = ["sample", "--checkpoint", run, "--out", flags.pop("--out", str(setup / "s"))]
    elif command == "interpolate":
        base = ["interpolate", *inputs, str(setup / "a.mid"), "--checkpoint", run, "--out", str(setup / "i"), "--no-wav"]
    elif command == "reconstruct":
        base = ["reconstruct", *inputs, "--checkpoint", run, "--out", str(setup / "r")]
    elif command == "encode":
        base = ["encode", str(setup / "a.mid"), "--checkpoint", run, "--out", flags.pop("--out")]
    else:
        base = ["prepare", str(setup / "a.mid"), "--out", flags.pop("--out", str(setup / "p")), "--no-cache"]
    return base + [x for kv in flags.items() for x in kv]


@pytest.mark.parametrize("case", CASES, ids=lambda c: " ".join(map(str, c)))
def test_mistakes_get_one_line(setup, capsys, case):
    err = one_line_error(capsys, *build(setup, *case))
    flag = next((str(x) for x in case[1:] if str(x).startswith("-") and x != "--in"), None)
    if flag and flag not in ("--out", "--data"):
        assert flag in err, err


def test_bar_b_errors_name_bar_b(setup, capsys):
    err = one_line_error(capsys, "interpolate", setup / "a.mid", setup / "a.mid", "--bar", 0, "--bar-b", 40,
                         "--checkpoint", setup / "run", "--out", setup / "i", "--no-wav")
    assert "--bar-b 40" in err


def test_string_options_are_checked_in_the_config_too():
    with pytest.raises(ConfigError, match="--sampling-mode 'stepwize': choose from two_pass, stepwise"):
        SequenceVAEConfig(sampling_mode="stepwize")
    from image_ae.tasks import ImageConfig

    with pytest.raises(ConfigError, match="--noise"):
        ImageConfig(noise="gauss")
    with pytest.raises(ConfigError, match="--likelihood"):
        ImageConfig(likelihood="poisson")


def test_image_cli_mistakes_get_one_line(capsys, synthetic_mnist_dir, tmp_path):
    from image_ae.cli import main as image_main

    base = ["train", "ae", "--data-dir", str(synthetic_mnist_dir), "--out", str(tmp_path / "r"), "--no-progress",
            "--limit", "64"]
    for extra in (["--epochs", "inf"], ["--epochs", "0"], ["--noise", "gauss"], ["--batch-size", "0"],
                  ["--device", "bogus"]):
        one_line_error(capsys, *base, *extra, prog=image_main)
    err = one_line_error(capsys, *base, "--lr", "1e6", "--epochs", "2", "--limit", "512", prog=image_main)
    assert "diverged" in err and "--lr" in err


def test_defaults_tell_the_truth(capsys):
    assert MelodyVAEConfig() == SequenceVAEConfig() == SEQUENCE_CONFIGS[DEFAULT_CONFIG]
    assert main(["train", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "Model defaults come from --config" in help_text
    assert f"(default: from --config; {DEFAULT_CONFIG}: 96.0)" in help_text  # free bits of the default config


def test_piping_into_head_prints_no_traceback(tmp_path):
    done = subprocess.run(f"{sys.executable} -m musicae.cli configs | head -2", shell=True, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.count("\n") == 2 and done.stderr == ""


def test_sample_cost_is_bounded_and_png_optional(setup, tmp_path, capsys):
    assert main(["sample", "--checkpoint", str(setup / "run"), "-n", "40", "--out", str(tmp_path / "s")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["files"]) == 40 and len(set(result["files"])) == 40
    height = Image.open(result["piano_roll"]).size[1]
    assert main(["sample", "--checkpoint", str(setup / "run"), "-n", "16", "--out", str(tmp_path / "t")]) == 0
    assert Image.open(json.loads(capsys.readouterr().out)["piano_roll"]).size[1] == height  # 16 rows drawn either way
    assert main(["sample", "--checkpoint", str(setup / "run"), "-n", "3", "--no-png", "--out", str(tmp_path / "u")]) == 0
    assert "piano_roll" not in json.loads(capsys.readouterr().out) and not list((tmp_path / "u").glob("*samples.png"))
