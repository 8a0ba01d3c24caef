#!/usr/bin/env bash
# The GPU numbers of docs/performance.md, as one script for a borrowed GPU machine that has JAX
# but no TensorFlow (run from the repository root):
#   bash benchmarks/gpu_session.sh [throughput|tools] [MNIST_NPZ]
# throughput (default): the default run, benchmarks/throughput.py and data_pipeline.py part 1;
# tools: benchmarks/lr_find.py (default run, seeds 0-2) and benchmarks/one_cycle.py (full MNIST).
# Wheels of keras, kexp's pure-Python dependencies and Grain (its decoding workers) travel in .whl/
# (docs/development.md says how to fetch them); MNIST_NPZ (default .gpudata/mnist.npz) is linked where the benchmarks look
# for it (../shared/data/mnist.npz). Each step has its own time limit, so one slow step cannot
# take the others' time; the log goes to $OUT/gpu.log when OUT is set.
set -u
LOG="${OUT:-/tmp}/gpu.log"
exec > >(tee "$LOG") 2>&1
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" KERAS_BACKEND=jax PYTHONUNBUFFERED=1
# XLA's persistent cache: the fresh model of each timed repeat reuses the first compile, so the
# epochs timed on a GPU are not mostly compiling (both paths alike)
export JAX_COMPILATION_CACHE_DIR=/tmp/jax-cache JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0
# SHRINK=N: a dry run on any machine before a GPU session — each step on 1/N of its images, with
# TensorFlow unimportable as on the GPU machines (a step that fails here would fail there too);
# SLOWER=K gives each step K times its time limit (on a CPU: SHRINK=100 SLOWER=5)
shrink="${SHRINK:-1}"
if [ "$shrink" != 1 ]; then
  mkdir -p /tmp/kexp-no-tensorflow
  echo 'import sys; sys.modules["tensorflow"] = None  # as if not installed' > /tmp/kexp-no-tensorflow/sitecustomize.py
  export PYTHONPATH="/tmp/kexp-no-tensorflow:$PYTHONPATH"
fi
n() { echo $(( $1 / shrink )); }
part="${1:-throughput}"
npz="${2:-.gpudata/mnist.npz}"
if [ -f "$npz" ] && [ ! -f ../shared/data/mnist.npz ]; then
  mkdir -p ../shared/data && ln -sf "$PWD/$npz" ../shared/data/mnist.npz
fi
step() { local limit=$(( $1 * ${SLOWER:-1} )); shift; echo "=== $* (limit ${limit}s)"; local t0=$SECONDS
  timeout "$limit" "$@"; echo "=== exit $? after $((SECONDS - t0)) s"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)"
if [ "$part" = tools ]; then
  step 300 python3 benchmarks/lr_find.py --seeds 0 1 2
  step 200 python3 benchmarks/one_cycle.py --epochs 3 --target 0.99
  exit 0
fi
run_dir="/tmp/kexp-gpu-run-$(date +%s)"  # a new run each time (a finished one would be skipped)
step 90 python3 -m kexp trainer.epochs=3 hydra.run.dir="$run_dir"
cat "$run_dir/metrics.csv" 2>/dev/null; grep -i -A2 devices "$run_dir/run.yaml" 2>/dev/null
# The issue-34 goals first (cnn and resnet20 >= 1.3x a plain fit at kexp's defaults, a streamed
# folder >= 0.8x arrays), then what explains them, so a session cut short still measured the goals.
# (kexp's default trainer.steps_per_execution is auto; =1 is a plain fit's one batch per call)
# kexp with its training arrays fed from the host and on the GPU (each batch gathered there,
# kexp.backends.resident; what kexp picks on a GPU where they fit), side by side with a plain fit
step 120 python3 benchmarks/throughput.py --no-jax --model cnn --images $(n 51200) --epochs 2 --feed host device
step 100 python3 benchmarks/throughput.py --no-jax --model resnet20 --images $(n 25600) --epochs 2 --repeats 2
# a PNG folder streamed (data.cache=none: on a GPU host decoded ahead by Grain's worker processes,
# kexp.backends.decoding_workers; the "training images:" line says which) vs cache=memory vs arrays;
# the goal is streamed >= 0.8x arrays after epoch 1 (the workers start in the first)
step 180 python3 benchmarks/data_pipeline.py --parts 1 --images $(n 51200) --epochs 4 --repeats 2 --cache /tmp/kexp-bench
step 90 python3 benchmarks/throughput.py --no-jax --model cnn --images $(n 51200) --epochs 2 --set trainer.steps_per_execution=1
# 2,400 batches a fit: long enough for a call's batches to run as one compiled loop where faster
# (kexp.backends.jax.scanned_train_calls; the "(kexp)" lines say which way and both rates)
step 150 python3 benchmarks/throughput.py --no-jax --model cnn --images $(n 51200) --epochs 6 --repeats 2
step 90 python3 benchmarks/throughput.py --no-jax --model cnn --images $(n 51200) --epochs 2 --set trainer.precision=mixed_bfloat16
step 100 python3 benchmarks/throughput.py --no-jax --model resnet20 --images $(n 25600) --epochs 2 --repeats 2 --set trainer.precision=mixed_bfloat16
# float32 vs mixed_bfloat16 through kexp's fit (whether trainer.precision=auto should pick bfloat16 on a GPU)
step 120 python3 benchmarks/precision.py --models cnn resnet20 --images $(n 25600) --repeats 2
