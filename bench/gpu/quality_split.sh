#!/usr/bin/env bash
# The quality bench on the device tool's GPU machine, before (old code in .oldtree/app) and
# after (this checkout), split over seven parallel processes so the corpus fits the device time
# (one process per Big Fish copy, the 15 short scripts in one "after" and two "before" ones; the
# old code's Big Fish loops to every length limit and is left out). After the three upload calls
# of run_device_bench.sh (part-a, model-part twice), call with carry [.whl_b .qdata .oldtree]:
#   bash bench/gpu/quality_split.sh            # ~540 s; Big Fish needs a second call:
#   RESUME=1 bash bench/gpu/quality_split.sh   # goes on where each process stopped
# $OUT gets only 8 files per call: pack /tmp/logline-gpu/*.json into one tar in the last call.
# Merge the JSON files' "runs" and score them here (bench/README.md, bench_quality.py).
S="brick-and-steel.fountain my-living-memory.fountain printing-trouble.fountain testplay-01.fountain troubled-sleep.fountain writers-block-sample-06.fountain the-power-betas.pilot-excerpt.finaldraft.fdx troubled-sleep.finaldraft.fdx"
T="writers-block-sample-06.finaldraft.fdx brick-and-steel.screenplain.pdf my-living-memory.afterwriting.pdf printing-trouble.screenplain.pdf the-power-betas.pilot-excerpt.finaldraft.pdf troubled-sleep.txt writers-block-sample-06.txt"
export QUALITY_SECONDS=${QUALITY_SECONDS:-480}
if [ -z "${RESUME:-}" ]; then
  QUALITY_NAME=warm bash bench/gpu/run_device_bench.sh quality --files testplay-01.fountain --modes logline >/tmp/warm.txt 2>&1
fi
pids=()
run() { local name=$1 app=$2; shift 2; QUALITY_APP=$app QUALITY_NAME=$name bash bench/gpu/run_device_bench.sh quality --files "$@" >"/tmp/$name.txt" 2>&1 & pids+=($!); sleep 1.2; }
run after-bf app big-fish.fountain
run after-bfdx app big-fish.finaldraft11.fdx
run after-bfpdf app big-fish.finaldraft11.pdf
run after-bfsp app big-fish.screenplain.pdf
run after-small app $S $T
run before-s .oldtree/app $S
run before-t .oldtree/app $T
wait "${pids[@]}"
for f in /tmp/after-*.txt /tmp/before-*.txt; do echo "== $f"; grep -h "INFO bench_quality: \[" "$f" | tail -1; done
