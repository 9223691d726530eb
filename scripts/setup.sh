#!/usr/bin/env bash
# Idempotent set-up of .venv on a fresh machine: the project, its test tools and the training extra.
# CORPUS_TRAIN=0 leaves the training extra out (the data side alone). torch==2.13.0 is installed
# first: a looser torch would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
fi
stamp=.venv/.installed-$(cat pyproject.toml scripts/setup.sh | sha1sum | cut -c1-12)-${CORPUS_TRAIN:-1}
if [ ! -f "$stamp" ]; then
    extras="dev"
    if [ "${CORPUS_TRAIN:-1}" = "1" ]; then
        .venv/bin/python -m pip install -q "torch==2.13.0"
        extras="dev,train,lmeval"
    fi
    .venv/bin/python -m pip install -q -e ".[$extras]"
    rm -f .venv/.installed-*
    touch "$stamp"
fi
