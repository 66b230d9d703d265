"""Spectra/s of `predict` on Dask distributed against the number of workers, and the Dask path's overhead.

    .venv/bin/python bench/distributed.py [--files 512] [--draws 20] [--chunk-files 64] [--max-workers N] [--repeats 3]

Runs the bundled model on the LAMOST DR8 files in ../shared (220 files, repeated to --files), in
one run on one machine:
  * in-process, one torch thread: the baseline one Dask worker is compared with (target: the Dask
    path at one worker costs <= 10% more);
  * in-process with every core (what plain `predict` does);
  * a LocalCluster of 1, 2, ... worker processes of one thread each, up to the cores there are.
Cluster runs are timed once the workers are up and have loaded the model (reported separately:
a fixed cost per run, not per spectrum).
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
# this file's own folder first on the path would make `import distributed` import this file
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from bossnet_gui.distributed import ModelSpec, RunOptions, _predictors, close, cluster_frames, connect  # noqa: E402
from bossnet_gui.engine import predict_frames  # noqa: E402
from bossnet_gui.io.scan import iter_spectra, read_ahead  # noqa: E402
from bossnet_gui.model import Predictor, resolve_model  # noqa: E402

SHARED = REPO.parent / "shared"


def in_process(files: list[str], draws: int, threads: int) -> float:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        predictor = Predictor(resolve_model(None))
        list(predict_frames([predictor], iter_spectra(files[:8]), draws=draws))  # warm
        start = time.perf_counter()
        rows = sum(len(f) for f in predict_frames([predictor], read_ahead(iter_spectra(files), 32), draws=draws))
        return rows / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)


def _load(spec: ModelSpec) -> None:
    _predictors((spec,), "cpu")


def on_cluster(files: list[str], draws: int, workers: int, chunk_files: int) -> tuple[float, float]:
    """(spectra/s once the workers are ready, seconds to start them and load the model)."""
    spec = ModelSpec(None, None, resolve_model(None).content_hash)
    start = time.perf_counter()
    client = connect(None, None, workers)  # the cluster `predict --workers N` starts
    try:
        client.run(_load, spec)
        ready = time.perf_counter()
        rows = sum(len(f) for f in cluster_frames(client, files, [spec], RunOptions(draws, 0, 32, "cpu"), chunk_files))
        return rows / (time.perf_counter() - ready), ready - start
    finally:
        close(client)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=512, help="the 220 files repeated; 512 = 8 tasks of 64, even for 1, 2, 4 and 8 workers")
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--chunk-files", type=int, default=64, help="files per task (predict's default): two batches, so a task reads its second while predicting its first")
    parser.add_argument("--max-workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=3, help="alternated runs of in-process and one Dask worker")
    args = parser.parse_args()
    pool = sorted(glob.glob(str(SHARED / "data" / "lamost_dr8" / "*.fits.gz")))
    if not pool:
        sys.exit("needs ../shared/data/lamost_dr8 beside the clone")
    files = [pool[i % len(pool)] for i in range(args.files)]
    cores = os.cpu_count() or 1
    print(f"torch {torch.__version__}, {cores} cores; {len(files)} LAMOST DR8 files, {args.draws} draws, bundled model, {args.chunk_files} files per task")

    # the overhead target compares two runs of ~20 s: alternated, so that a slow spell of a shared machine
    # falls on both sides; the median pair is reported
    pairs = []
    for _ in range(args.repeats):
        one_thread = in_process(files, args.draws, 1)
        rate, startup = on_cluster(files, args.draws, 1, args.chunk_files)
        pairs.append((one_thread / rate - 1, one_thread, rate, startup))
        print(f"  in-process, 1 torch thread {one_thread:5.1f}, Dask 1 worker {rate:5.1f} spectra/s: overhead {100 * pairs[-1][0]:+.1f}%")
    overhead, one_thread, rate, startup = sorted(pairs)[len(pairs) // 2]
    every_core = in_process(files, args.draws, torch.get_num_threads())
    print(f"in-process, 1 torch thread:        {one_thread:6.1f} spectra/s  (baseline)")
    print(f"in-process, {torch.get_num_threads()} torch threads:       {every_core:6.1f} spectra/s  {every_core / one_thread:5.2f}x")
    for workers in range(1, args.max_workers + 1):
        if workers > 1:
            rate, startup = on_cluster(files, args.draws, workers, args.chunk_files)
        line = f"Dask LocalCluster, {workers} worker(s):     {rate:6.1f} spectra/s  {rate / one_thread:5.2f}x  (start-up and model load {startup:4.1f} s)"
        if workers == 1:
            line += f"; overhead vs in-process at one worker {100 * overhead:+.1f}% (median of {args.repeats}; target <= 10%)"
        print(line)

if __name__ == "__main__":
    main()
