#!/usr/bin/env bash
# Logline's summary benchmark on an NVIDIA GPU through MLX's CUDA backend, on the device tool's
# machine (Python 3.12, PyTorch image, no MLX, no network). Run from the repository root.
#
# The mlx-cuda-13 wheel (~90 MB) is over one call's 64 MiB, so it travels in two halves
# (`split -b 46000000 -d -a 1 mlx_cuda_13-...whl`), and the machine must still be warm for call 2:
#
#   call 1, carry [.whl_a]:            bash bench/gpu/run_device_bench.sh part-a
#   call 2, carry [.whl_b, .gpudata]:  bash bench/gpu/run_device_bench.sh run PAIR...
#   later calls on the warm machine:   bash bench/gpu/run_device_bench.sh run PAIR...  (same carry)
#
# .whl_a: mlxcuda.part0. .whl_b: mlxcuda.part1 and the wheels of mlx 0.32.4, mlx-lm 0.32.2, pypdf,
# platformdirs, defusedxml (cp312, manylinux x86_64). .gpudata: big-fish.fountain and a byte-level
# BPE tokenizer.json (the regular tokens of the random models' tokenizer).
# PAIR = ARCH:PRECISION with ARCH llama-3.2-1b | llama-3-8b and PRECISION bf16 | 4bit; also
# `validate` (install and device check only). Environment: BENCH_ARGS (extra
# bench/bench_summarize.py options, default "--context 8192"), SKIP_BENCH=1 (raw decode only),
# SKIP_RAW=1 (bench only), DROP_MODELS=1 (delete each model after use).
# Per pair, $OUT/ARCH-PRECISION.json holds the model summary, raw decode and bench figures;
# $OUT/log-*.txt the whole output. bench/gpu/summarize_results.py merges and tabulates them.
#
# Remote benchmark (issue 18): bench/bench_remote.py against mlx_lm.server on this GPU, a
# random-weight model, requests 1 and 8 at a time (call 2 as above, same carry):
#
#   call 2, carry [.whl_b, .gpudata]:  bash bench/gpu/run_device_bench.sh remote ARCH:PRECISION
#
# REMOTE_ARGS (default "--concurrency 1,8 --context 8192") go to bench_remote.py;
# $OUT/remote-ARCH-PRECISION.json holds its figures.
# .whl_b also carries httpx and its dependencies (Logline's remote engine).
#
# Quality benchmark (bench/bench_quality.py run) with the embedded model, as Logline installs it
# (the MLX folder imported from the GGUF, ~100 MB: a tar in two halves, each call's own carry):
#
#   call 1, carry [.whl_a]:          bash bench/gpu/run_device_bench.sh part-a
#   call 2, carry [.qmodel_a]:       bash bench/gpu/run_device_bench.sh model-part
#   call 3, carry [.qmodel_b]:       bash bench/gpu/run_device_bench.sh model-part
#   call 4, carry [.whl_b, .qdata]:  bash bench/gpu/run_device_bench.sh quality [OPTIONS...]
#   (call 4 again to continue: runs already done are kept)
#
# .qmodel_a/.qmodel_b: smollm2.part0 / smollm2.part1 and smollm2.tar.sha256; .qdata/scripts: a
# copy of ../shared/corpus/scripts. OPTIONS go to `bench_quality.py generate` (--files, --modes,
# --scenes...). QUALITY_APP=DIR: generate with that app/ (an older checkout, e.g. .oldtree/app);
# the score always uses this checkout. QUALITY_NAME (default quality): the outputs' file name;
# QUALITY_SECONDS (default 540): generation stops then, the call returns what is done;
# QUALITY_FRESH=1: start over. $OUT gets NAME.json, NAME.scores.json and NAME.md.
set -uo pipefail

STAGE=/tmp/logline-gpu
SITE=/tmp/site
MODELS=/tmp/logline-models
OUT=${OUT:-/tmp/logline-out}
WHEEL=mlx_cuda_13-0.32.4-py3-none-manylinux_2_35_x86_64.whl
WHEEL_SHA256=94cb48fba73e5ee39467e51c35c51c691123359ca17bafd1a24cf92ad6732bee
BENCH_ARGS=${BENCH_ARGS:---context 8192}
export PYTHONUNBUFFERED=1 LOGLINE_HOME=/tmp/logline-home TOKENIZERS_PARALLELISM=false
mkdir -p "$STAGE" "$MODELS" "$OUT" "$LOGLINE_HOME"

part_a() {
    cp .whl_a/mlxcuda.part0 "$STAGE/" && ls -la "$STAGE"
}

install() {
    if [ ! -f "$SITE/.installed" ]; then
        [ -f "$STAGE/mlxcuda.part0" ] || { echo "no part A in $STAGE: run part-a first"; exit 3; }
        cat "$STAGE/mlxcuda.part0" .whl_b/mlxcuda.part1 >"$STAGE/$WHEEL"
        echo "$WHEEL_SHA256  $STAGE/$WHEEL" | sha256sum -c - || exit 3
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target "$SITE" "$STAGE/$WHEEL" .whl_b/*.whl || exit 3
        touch "$SITE/.installed"
    fi
    export PYTHONPATH=$SITE
    python3 -c 'import mlx.core as mx, mlx_lm; print("mlx", mx.__version__, "device",
mx.default_device(), "mlx_lm", mlx_lm.__version__)' || exit 3
}

device_report() {
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem \
        --format=csv
    df -h /tmp | tail -1
    python3 -c 'import sys; print("python", sys.version.split()[0])'
}

run_pair() {
    local arch=${1%%:*} precision=${1##*:}
    local name=$arch-$precision dir=$MODELS/$arch-$precision
    echo "=== $name $(date -u +%H:%M:%S)"
    if [ ! -f "$dir/config.json" ]; then
        python3 bench/gpu/make_random_model.py --arch "$arch" --precision "$precision" \
            --out "$dir" --tokenizer-from .gpudata/tokenizer.json || return 1
    fi
    if [ -z "${SKIP_RAW:-}" ]; then
        python3 bench/gpu/raw_decode.py --model-path "$dir" --out "$STAGE/raw-$name.json" \
            || return 1
    fi
    if [ -z "${SKIP_BENCH:-}" ]; then
        # shellcheck disable=SC2086
        python3 bench/bench_summarize.py --model-path "$dir" --file .gpudata/big-fish.fountain \
            $BENCH_ARGS --out "$STAGE/bench-$name.json" || echo "bench_summarize failed for $name"
    fi
    python3 - "$dir" "$STAGE/raw-$name.json" "$STAGE/bench-$name.json" "$OUT/$name.json" \
        "$BENCH_ARGS" <<'EOF'
import json, sys
from pathlib import Path
model, raw, bench, out, args = sys.argv[1:]
read = lambda p: json.loads(Path(p).read_text()) if Path(p).is_file() else None
figures = {"random_model": read(Path(model) / "random_model.json"), "raw_decode": read(raw),
           "bench_summarize": read(bench), "bench_args": args}
Path(out).write_text(json.dumps(figures, indent=2, default=str))
EOF
    [ -n "${DROP_MODELS:-}" ] && rm -rf "$dir"
    return 0
}

remote_pair() {
    local arch=${1%%:*} precision=${1##*:}
    local name=$arch-$precision dir=$MODELS/$arch-$precision
    echo "=== remote $name $(date -u +%H:%M:%S)"
    if [ ! -f "$dir/config.json" ]; then
        python3 bench/gpu/make_random_model.py --arch "$arch" --precision "$precision" \
            --out "$dir" --tokenizer-from .gpudata/tokenizer.json || return 1
    fi
    # bench_remote.py starts a fresh mlx_lm.server for each concurrency (no prompt cache carried
    # from one run to the next), then runs Logline's local engine on the same weights.
    # shellcheck disable=SC2086
    python3 bench/bench_remote.py --model "$dir" --file .gpudata/big-fish.fountain \
        ${REMOTE_ARGS:---concurrency 1,8 --context 8192} --out "$OUT/remote-$name.json" \
        || echo "bench_remote failed for $name"
    return 0
}

# Probes (bench/gpu/profile_map.py, probe_long_prefill.py, ...) on a random-weight model: PROBE
# is a shell command run with MODEL (the model folder) and NAME set, e.g.
#   PROBE='python3 bench/gpu/profile_map.py --model-path $MODEL --file .gpudata/big-fish.fountain'
#   call 2, carry [.whl_b, .gpudata]:  bash bench/gpu/run_device_bench.sh probe ARCH:PRECISION...
probe_pair() {
    local arch=${1%%:*} precision=${1##*:}
    local name=$arch-$precision dir=$MODELS/$arch-$precision
    echo "=== probe $name $(date -u +%H:%M:%S)"
    if [ ! -f "$dir/config.json" ]; then
        python3 bench/gpu/make_random_model.py --arch "$arch" --precision "$precision" \
            --out "$dir" --tokenizer-from .gpudata/tokenizer.json || return 1
    fi
    MODEL=$dir NAME=$name bash -c "${PROBE:?set PROBE}"
}

EMBEDDED=smollm2-135m-instruct-q4_1

model_part() {
    cp .qmodel_*/* "$STAGE/" && ls -la "$STAGE"
}

embedded_model() {
    local models=$LOGLINE_HOME/cache/models
    [ -f "$models/$EMBEDDED/config.json" ] && return 0
    [ -f "$STAGE/smollm2.tar.sha256" ] || { echo "no model halves in $STAGE: model-part first"; exit 3; }
    cat "$STAGE"/smollm2.part* >"$STAGE/smollm2.tar"
    echo "$(cat "$STAGE/smollm2.tar.sha256")  $STAGE/smollm2.tar" | sha256sum -c - || exit 3
    mkdir -p "$models" && tar -C "$models" -xf "$STAGE/smollm2.tar" && rm "$STAGE/smollm2.tar"
    ls -la "$models/$EMBEDDED"
}

quality() {
    local name=${QUALITY_NAME:-quality} corpus=.qdata/scripts
    local outputs=$STAGE/$name.json
    [ -n "${QUALITY_FRESH:-}" ] && rm -f "$outputs"
    [ -d "$corpus" ] || { echo "no corpus in $corpus (carry .qdata)"; exit 3; }
    # shellcheck disable=SC2086
    PYTHONPATH=$SITE${QUALITY_APP:+:$QUALITY_APP} timeout "${QUALITY_SECONDS:-540}" \
        python3 bench/bench_quality.py generate --out "$outputs" --corpus "$corpus" --resume "$@" \
        || echo "generate stopped (exit $?): call again to continue"
    cp "$outputs" "$OUT/" || return 1
    python3 bench/bench_quality.py score "$outputs" --md --corpus "$corpus" \
        --scores "$OUT/$name.scores.json" | tee "$OUT/$name.md"
}

summary() {
    python3 bench/gpu/summarize_results.py "$OUT"/*.json
}

main() {
    case "${1:-}" in
        part-a) part_a ;;
        model-part) model_part ;;
        quality)
            shift
            install
            [ -e app/logline/resources ] || ln -s ../../resources app/logline/resources
            device_report
            embedded_model
            quality "$@"
            ;;
        remote)
            shift
            install
            [ -e app/logline/resources ] || ln -s ../../resources app/logline/resources
            device_report
            for pair in "$@"; do remote_pair "$pair" || echo "FAILED: remote $pair"; done
            ;;
        probe)
            shift
            install
            [ -e app/logline/resources ] || ln -s ../../resources app/logline/resources
            device_report
            for pair in "$@"; do probe_pair "$pair" || echo "FAILED: probe $pair"; done
            ;;
        run)
            shift
            install
            # Without an install, logline.resources (the repo's resources/, mapped by pyproject's
            # package-dir) is not importable from app/: link it into the device's copy.
            [ -e app/logline/resources ] || ln -s ../../resources app/logline/resources
            device_report
            for pair in "$@"; do
                [ "$pair" = validate ] && continue
                run_pair "$pair" || echo "FAILED: $pair"
            done
            summary
            ;;
        *) sed -n 2,45p "$0"; exit 2 ;;
    esac
}

log=$OUT/log-${1:-help}-$(date -u +%H%M%S).txt
main "$@" 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
