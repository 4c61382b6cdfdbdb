#!/usr/bin/env bash
# The README's tour: for each capability, the picture and the sound its command makes with the shipped models,
# into docs/tour/NAME.png and docs/tour/NAME.wav (the WAV shrunk for the repository by scripts/docs_wav.py:
# mono, 16 kHz, at most 20 s). Each line below is the command the README shows, with the built-in examples.
# Usage: bash scripts/make_tour.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p docs/tour
EXAMPLES=musicae/assets/examples
DRUMS=$EXAMPLES/drums

# tour NAME PICTURE_ROLE -- COMMAND...: run COMMAND into a fresh folder, keep its picture and its WAV
tour() {
  local name=$1 picture=$2
  shift 3
  "$@" --out "$WORK/$name" > "$WORK/$name.json"
  cp "$WORK/$name"/*-"$picture" "docs/tour/$name.png"
  python scripts/docs_wav.py "$WORK/$name"/*.wav "docs/tour/$name.wav" --rate 16000 --seconds 20 > /dev/null
  echo "docs/tour/$name: $*" | sed "s#$EXAMPLES/##g"
}

tour melody_interpolation path.png -- musicae interpolate $EXAMPLES/a.mid $EXAMPLES/b.mid --steps 5
tour sixteen_bars samples.png -- musicae sample --checkpoint mel_16bar_folk -n 1 --seed 3
tour chords samples.png -- musicae sample --checkpoint mel_2bar_chords --chords "C G Am F C G F C" -n 1 --temperature 0.5
tour transform transformed.png -- musicae transform $EXAMPLES/a.mid --attribute note_density --amount 1.5
tour drum_interpolation path.png -- musicae interpolate $DRUMS/funk.mid $DRUMS/rock.mid --checkpoint drums_2bar_hikl --steps 4
tour humanize humanize.png -- musicae humanize $DRUMS/funk_quantized.mid
tour drumify drumify.png -- musicae drumify $DRUMS/hiphop_taps.mid
tour multitrack_style samples.png -- musicae sample --checkpoint multitrack_1bar_chords -n 1 --bars 4 --chords "C Caug Am E" --temperature 0.2 --seed 1
# a model of your own: 24 reels of Ryan's Mammoth Collection (music21's corpus), then a sample of it
REELS=$(python -c "import music21, pathlib; print(pathlib.Path(music21.__file__).parent / 'corpus/ryansMammoth')")
mkdir -p "$WORK/reels"
find "$REELS" -name '*Reel*.abc' | sort | head -24 | xargs -I{} cp {} "$WORK/reels/"
musicae personalize "$WORK/reels" --out "$WORK/my_model" --no-progress > "$WORK/personalize.json"
tour personal samples.png -- musicae sample --checkpoint "$WORK/my_model" -n 4 --temperature 0.5
du -ch docs/tour/* | tail -1
