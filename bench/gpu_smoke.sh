#!/usr/bin/env bash
# GPU smoke test, one command on a Linux machine with an NVIDIA GPU (MLX's CUDA backend):
# import MLX and Logline on the GPU, write a random-weight Llama-3.2-1B (4-bit), import it into a
# throwaway Logline home like a user's model, summarize a corpus script through the real CLI
# (`logline summarize`), and print the tok/s from the run's stats. Run from the repository root.
#
# Where Logline is installed with the CUDA extra (pip install '.[cuda]'), just:
#   bash bench/gpu_smoke.sh [SCRIPT]
# On the device tool (no network; wheels carried as bench/README.md "Commands" explains):
#   call 1, carry [.whl_a]:            bash bench/gpu/run_device_bench.sh part-a
#   call 2, carry [.whl_b, .gpudata]:  bash bench/gpu_smoke.sh
# SCRIPT defaults to .gpudata/big-fish.fountain, else the corpus copy beside the repository.
# Environment: SMOKE_ARCH (llama-3.2-1b), SMOKE_PRECISION (4bit), SMOKE_MAX_TOKENS (256),
# OUT (/tmp/logline-out: gpu-smoke.txt, the whole output). Exit 0 only when every step passed.
# For a dry run of the steps on a CPU machine: SMOKE_ALLOW_CPU=1 SMOKE_LAYERS=2.
set -euo pipefail

SCRIPT=${1:-}
if [ -z "$SCRIPT" ]; then
    for candidate in .gpudata/big-fish.fountain ../shared/corpus/scripts/fountain/big-fish.fountain; do
        [ -f "$candidate" ] && SCRIPT=$candidate && break
    done
fi
[ -n "$SCRIPT" ] && [ -f "$SCRIPT" ] || { echo "no script to summarize: pass one"; exit 2; }
ARCH=${SMOKE_ARCH:-llama-3.2-1b}
PRECISION=${SMOKE_PRECISION:-4bit}
OUT=${OUT:-/tmp/logline-out}
WORK=$(mktemp -d /tmp/logline-smoke.XXXXXX)
export LOGLINE_HOME=$WORK/home PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
mkdir -p "$OUT" "$LOGLINE_HOME"
exec > >(tee "$OUT/gpu-smoke.txt") 2>&1

step() { echo "=== $* ($(date -u +%H:%M:%S))"; }

step "1/4 import"
if ! python3 -c 'import mlx.core, mlx_lm' 2>/dev/null; then
    # The device tool's machine: install the carried wheels the way the GPU benchmark does (its
    # exit status is its results table's, which a validate run does not have: check the import).
    OUT=$WORK/install bash bench/gpu/run_device_bench.sh run validate >/dev/null 2>&1 || true
    export PYTHONPATH=/tmp/site
    python3 -c 'import mlx.core, mlx_lm' || { echo "install failed: see $WORK/install"; exit 3; }
fi
# From a checkout (not installed), logline.resources is the repository's resources/.
[ -e app/logline/resources ] || ln -s ../../resources app/logline/resources
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD/app
python3 - <<'EOF'
import os
import mlx.core as mx, mlx_lm, logline
device = mx.default_device()
print(f"mlx {mx.__version__} on {device}, mlx-lm {mlx_lm.__version__}, logline {logline.__version__}")
if not os.environ.get("SMOKE_ALLOW_CPU"):
    assert device.type == mx.DeviceType.gpu, "MLX does not see a GPU (is mlx[cuda] installed?)"
print("cuda available:", mx.cuda.is_available() if hasattr(mx, "cuda") else "unknown")
EOF

step "2/4 random-weight model: $ARCH $PRECISION"
MODEL=$WORK/$ARCH-$PRECISION
if [ -f .gpudata/tokenizer.json ]; then
    TOKENIZER=(--tokenizer-from .gpudata/tokenizer.json)
else
    TOKENIZER=(--train-text "$SCRIPT")
fi
python3 bench/gpu/make_random_model.py --arch "$ARCH" --precision "$PRECISION" --out "$MODEL" \
    "${TOKENIZER[@]}" ${SMOKE_LAYERS:+--layers "$SMOKE_LAYERS"}

step "3/4 import into Logline"
python3 -m logline models import "$MODEL" --reference --id gpu-smoke --force

step "4/4 summarize $(basename "$SCRIPT")"
START=$(date +%s)
python3 -m logline summarize "$SCRIPT" --model gpu-smoke \
    --max-tokens "${SMOKE_MAX_TOKENS:-256}" >"$WORK/summary.md" 2>"$WORK/stats.txt" || {
    cat "$WORK/stats.txt"; echo "FAILED: logline summarize"; exit 4; }
cat "$WORK/stats.txt"
echo "summary: $(wc -w <"$WORK/summary.md") words (random weights: the words are noise)"
# The stats line ends the CLI's stderr: "... N generated (X tok/s overall) ..."
RATE=$(grep -o '[0-9.,]* tok/s overall' "$WORK/stats.txt" | tail -1)
echo "GPU smoke OK in $(($(date +%s) - START)) s: ${RATE:-tok/s not reported}"
rm -rf "$WORK"
