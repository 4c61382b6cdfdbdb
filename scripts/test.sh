#!/usr/bin/env bash
# README command 2: set up the environment when missing, then run the default (fast) test suite.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
python -m pytest "$@"
