#!/usr/bin/env bash
# The GPU benchmarks as one prepared script, for a machine with CUDA torch, PyG and transformers
# (the device machine's image). Results land in $OUT (default var/reports/gpu).
#   .gpu/model : all-MiniLM-L6-v2 weights (fp16 safetensors, loaded as float32 unless a dtype says so)
#   .gpu/whl   : wheels of project dependencies missing there (neo4j, pytz)
set -uo pipefail
OUT=${OUT:-var/reports/gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
MODEL=${MODEL:-.gpu/model}
if compgen -G ".gpu/whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .gpu/whl/*.whl \
    && export PYTHONPATH=/tmp/site
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
"$PY" -c "import torch, torch_geometric, transformers; print(torch.__version__, torch_geometric.__version__, transformers.__version__)" | tee -a "$OUT/gpu.txt"
lscpu | grep -E "Model name|^CPU\(s\)" | tee -a "$OUT/gpu.txt"

"$PY" bench/bench_embedding.py --device cuda --texts 8192 --runs 3 --threads 0 --batch-sizes 64,256,1024 \
  --dtypes float32,float16,bfloat16 --model "$MODEL" --out "$OUT/embedding_gpu.md" 2>&1 | grep -v "Loading weights" | tee "$OUT/log_embedding.txt"
"$PY" bench/bench_scoring.py --device cuda --sizes 10000,100000,1000000 --queries 16384 --block 4096 \
  --chunk 262144 --runs 3 --out "$OUT/scoring_gpu.md" 2>&1 | tee "$OUT/log_scoring.txt"
"$PY" bench/bench_training.py --device cuda --sizes 4000,16000,64000 --epochs 3 --threads 0 \
  --out "$OUT/training_gpu.md" 2>&1 | tee "$OUT/log_training.txt"
"$PY" bench/bench_training.py --device cuda --sizes "" --encoders "" --threads 0 --fit-runs 1 \
  --model "$MODEL" --out "$OUT/fit_gpu.md" 2>&1 | grep -v "Loading weights" | tee "$OUT/log_fit.txt"
