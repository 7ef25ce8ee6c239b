#!/bin/bash
# One GPU machine call (issue 27): the encode benchmark (the README pipeline, ours and the compiled
# variants in one process), then the paper-profile notebooks at full CIFAR size on fakes.
#
# The machine has torch, torchvision, numpy, PIL and tqdm but not clip-anytorch, ftfy or papermill:
# put their wheels (py3.12, manylinux x86_64; see docs/BENCHMARKS.md) in whl/ beside benchmarks/, and
# this repository's clip_course/, benchmarks/ and notebooks/ in one folder carried to the machine:
#     bash <folder>/benchmarks/gpu_check.sh        # figures under $OUT (or /tmp/out)
D=$(cd "$(dirname "$0")/.." && pwd)
if ls "$D"/whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$D"/whl/*.whl || exit 3
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PYTHONPATH:$D PYTHONUNBUFFERED=1 OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/device.txt"
python3 -c "import torch, sys; print('torch', torch.__version__, 'python', sys.version.split()[0])" | tee -a "$OUT/device.txt"
timeout "${BENCH_S:-250}" python3 "$D/benchmarks/bench_encode.py" --device cuda --n "${N:-20000}" --workers 16 --compile \
  --json "$OUT/bench_encode.json" 2>&1 | tee "$OUT/bench_encode.log"
echo "bench rc=${PIPESTATUS[0]}"
# shellcheck disable=SC2086  # NB_SIZES is two numbers
timeout "${NB_S:-290}" python3 "$D/benchmarks/gpu_notebooks.py" /tmp/paper ${NB_SIZES:-50000 10000} 2>&1 | tee "$OUT/notebooks.log" | tail -60
echo "notebooks rc=${PIPESTATUS[0]}"
