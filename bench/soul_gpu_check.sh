#!/usr/bin/env bash
# One-shot Soul GPU check (bench/soul_gpu_check.py) for a GPU machine with no network.
#
# Why a wrapper: such a machine has CUDA torch, transformers, peft and accelerate but not trl, datasets,
# optimum-quanto, pydantic or the fast Gated DeltaNet kernels, and cannot download them. They travel as
# wheels (pure Python or manylinux, about 7 MiB together) in a carried folder.
#
#   bash bench/soul_gpu_check.sh fetch           # HERE, with registry access: wheels into .whl/ (ignored)
#   bash bench/soul_gpu_check.sh [CHECK ARGS]    # THERE: installs .whl/*.whl into /tmp/soul-site, runs the check
#   bash bench/soul_gpu_check.sh --cpu --layers 2 --hidden 256   # the CPU smoke, anywhere
#
# Results go to $OUT (or --out DIR): soul_gpu_check.json, summary.txt, trainer.log, trainer_manifest.json.
# Environment: PYTHON (default python3 there, the venv here if present), SOUL_WHEELS (default .whl),
# SOUL_PY_VERSION (the GPU machine's Python for `fetch`, default 3.12).
set -euo pipefail
cd "$(dirname "$0")/.."

WHEELS=${SOUL_WHEELS:-.whl}
if [[ -n "${PYTHON:-}" ]]; then PY=$PYTHON
elif [[ -x .venv/bin/python ]]; then PY=.venv/bin/python
else PY=python3
fi

# What the GPU image lacks for finetune.train and the bench (pinned as the train extra's versions).
PACKAGES=(
  trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 optimum-quanto==0.2.7
  pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5
  sqlite-utils==4.2.1 sqlite-fts4==1.0.3 click-default-group==1.2.4 ftfy==6.3.1 wcwidth==0.9.4
  flash-linear-attention==0.6.0 fla-core==0.6.0
  transformers==5.24.0 peft==0.21.2 openai==3.57.0 distro==1.9.0 jiter==0.19.0 sniffio==1.3.1
)
# bitsandbytes (paged 8-bit AdamW) is carried with its CUDA 13.0 library alone (the GPU image's torch is
# cu130): the full wheel holds one library per CUDA release, 60 MiB. Not carried: causal-conv1d (source
# only: it compiles against CUDA for many minutes), and tilelang (50 MiB, plus z3).
BNB=bitsandbytes==0.49.2 BNB_CUDA=cuda130
# datasets 5.2 needs pyarrow >= 24 and huggingface-hub >= 1.31: if the image's are older the trainer
# run says so in trainer.log; then add pyarrow==26.0.1 (about 45 MiB) or huggingface-hub above.

if [[ "${1:-}" == "fetch" ]]; then
  mkdir -p "$WHEELS"
  "$PY" -m pip download --no-deps --only-binary=:all: --python-version "${SOUL_PY_VERSION:-3.12}" \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any -d "$WHEELS" "${PACKAGES[@]}"
  tmp=$(mktemp -d)
  "$PY" -m pip download --no-deps --only-binary=:all: --python-version "${SOUL_PY_VERSION:-3.12}" \
    --implementation cp --platform manylinux_2_24_x86_64 -d "$tmp" "$BNB"
  "$PY" - "$tmp"/bitsandbytes-*.whl "$WHEELS" "$BNB_CUDA" <<'EOF'
import sys, zipfile
from pathlib import Path
src, dest, cuda = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
keep = lambda n: "libbitsandbytes_cuda" not in n or cuda in n
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest / src.name, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        if keep(info.filename):
            data = zin.read(info.filename)
            if info.filename.endswith("RECORD"):
                data = b"\n".join(r for r in data.split(b"\n") if keep(r.decode().split(",")[0]))
            zout.writestr(info, data)
EOF
  rm -rf "$tmp"
  size=$(du -sm "$WHEELS" | cut -f1)
  echo "$WHEELS: ${size} MiB of wheels (the carried tree must stay under 64 MiB)."
  if ! grep -qx "/$WHEELS/" .git/info/exclude 2>/dev/null; then
    echo "Add it to .git/info/exclude so it is carried, not committed: echo /$WHEELS/ >> .git/info/exclude"
  fi
  exit 0
fi

if compgen -G "$WHEELS/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/soul-site "$WHEELS"/*.whl
  export PYTHONPATH="/tmp/soul-site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONUNBUFFERED=1
# Triton's autotuning results are cached across the child processes: without it each mode's first step
# re-tunes the fla kernels (about 3 minutes on an H200 for the first, bf16, run).
export TRITON_CACHE_AUTOTUNING=1
exec "$PY" bench/soul_gpu_check.py "$@"
