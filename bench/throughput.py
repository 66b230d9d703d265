"""Throughput and memory of BOSS Net inference, against the published pipeline's procedure in the same run.

    .venv/bin/python bench/throughput.py [--files 96] [--draws 20] [--repeats 3] [--memory-files 1000]

Full-size published BOSS architecture with random weights (speed does not depend on them).
Prints: a float32 matrix-multiply peak measured now; the network's achieved GFLOP/s; end-to-end
spectra/s from FITS files on disk for (a) the release's procedure, re-enacted step by step as its
code does it (its Conv1d/BatchNorm1d network, per-spectrum np.interp and log scaling, one network
pass per draw, batches of 32) and (b) our Predictor, alternated --repeats times; the median pair's
ratio; and the peak memory of
`bossnet-gui predict` on a folder of 1,000 files; then the bundled model end to end on the 220
LAMOST DR8 files against its network alone on the same rows made ready beforehand (the compute
limit). Targets: >= 5.2 spectra/s and >= 1.5x the release, network >= 80% of peak, < 2 GB for
1,000 files; bundled model >= 60 spectra/s.
"""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from astropy.io import fits
from torch.nn import functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bossnet_gui.io import read_spectra  # noqa: E402
from bossnet_gui.io.scan import read_ahead  # noqa: E402
from bossnet_gui.model import LoadedModel, Predictor, save_bundled  # noqa: E402
from bossnet_gui.model.network import BossNet, ModelArgs  # noqa: E402
from bossnet_gui.model.published import BOSS_COLUMNS, BOSS_STATS  # noqa: E402

SHARED = REPO.parent / "shared"


def matmul_peak(n: int = 2048, seconds: float = 3.0) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    best = 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        a @ b
        best = max(best, 2 * n**3 / (time.perf_counter() - t))
    return best / 1e9


def network_gflops(network: BossNet, predictor: Predictor, seconds: float = 8.0) -> float:
    """GFLOP/s of the network alone, fed the way the Predictor feeds it (rows of 21 x 32)."""
    rows = torch.randn(21 * 32, 1, 3900)
    predictor._run_network(rows[:64])
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        predictor._run_network(rows)
        n += len(rows)
    return n * network.flops_per_spectrum(3900) / (time.perf_counter() - start) / 1e9


# -- the release's procedure, as its dataset.py / pipeline.py do it ------------------------------


def _release_bn(bn, x):
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)


def release_network(net: BossNet, x: torch.Tensor) -> torch.Tensor:
    """``net``'s parameters run as the release's model runs them: Conv1d -> BatchNorm1d -> ELU on
    (B, C, L) tensors (the form our ``BossNet`` replaced by channels-last 2-D convolutions)."""
    x = torch.cat([x, net.pos_enc(x)], dim=1)
    first = net.first_conv
    x = F.max_pool1d(F.elu(_release_bn(first.bn, first.conv_layer(x))), 2)
    for block in net.res_blocks:
        out = _release_bn(block.bn2, block.conv2(F.elu(_release_bn(block.bn1, block.conv1(x)))))
        extra = block.out_channels - block.in_channels
        x = F.elu(out + F.pad(x, (0, 0, extra // 2, extra - extra // 2)))
    return net.linear_sequential(F.adaptive_avg_pool1d(x, net.args.adapt_pool_output_dim).flatten(1))


def release_read(path: str):
    with fits.open(path) as hdul:
        spec = hdul[1].data
        flux = spec["flux"].astype(np.float32)
        ivar = np.nan_to_num(spec["ivar"].astype(np.float32))
        with np.errstate(all="ignore"):
            error = np.divide(1, ivar) ** 0.5
            if np.isinf(error).all():
                error = np.ones(*error.shape).astype(np.float32) * np.median(flux) * 0.1
            median = np.nanmedian(error[error != np.inf])
            error = np.clip(error, None, 5 * median)
            error = np.where(np.isnan(error), 5 * median, error)
        wave = 10 ** spec["loglam"].astype(np.float32)
    return torch.from_numpy(flux), torch.from_numpy(error), torch.from_numpy(wave)


def release_collate(items):
    n = max(len(f) for f, _, _ in items)
    out = [torch.full((len(items), n), float("nan")) for _ in range(3)]
    for i, arrays in enumerate(items):
        for j, a in enumerate(arrays):
            out[j][i, : len(a)] = a
    return out


def release_predict(network, flux, wave, grid):
    interp = torch.zeros(len(flux), len(grid))
    for i, f in enumerate(flux):
        keep = ~torch.isnan(f)
        interp[i] = torch.from_numpy(np.interp(grid, wave[i][keep], f[keep]))
    scaled = torch.zeros_like(interp)
    for i, f in enumerate(interp):
        f = torch.log(torch.clip(f, min=1e-6))
        scaled[i] = torch.clip(f, max=torch.quantile(f, 0.95) + 1)
    with torch.no_grad():
        return release_network(network, scaled[:, None, :])


def release_pipeline(network, files, draws, batch_size=32):
    grid = torch.linspace(3800, 8900, 3900)
    for start in range(0, len(files), batch_size):
        flux, error, wave = release_collate([release_read(f) for f in files[start : start + batch_size]])
        release_predict(network, flux, wave, grid)
        predictions = []
        for _ in range(draws):
            normal = torch.randn_like(flux)
            normal[flux.isnan()] = torch.nan
            predictions.append(release_predict(network, flux + error * normal, wave, grid))
        torch.median(torch.stack(predictions), 0), torch.std(torch.stack(predictions), 0)


def ours(predictor, files, draws, batch_size=32):
    def spectra():
        for f in files:
            yield from read_spectra(f)

    for _ in predictor.predict_iter(read_ahead(spectra(), batch_size), draws=draws, seed=0, batch_size=batch_size):
        pass


def bundled_lamost(draws: int) -> tuple[float, float]:
    """The bundled model on the 220 LAMOST DR8 files: (end-to-end spectra/s as `predict` runs them,
    spectra/s of the network alone on the same rows made ready beforehand: the compute limit)."""
    from bossnet_gui.engine import predict_frames
    from bossnet_gui.io.scan import iter_spectra
    from bossnet_gui.model import resolve_model

    files = sorted(glob.glob(str(SHARED / "data" / "lamost_dr8" / "*.fits.gz")))
    predictor = Predictor(resolve_model(None))
    list(predict_frames([predictor], iter_spectra(files[:32]), draws=draws))  # warm
    start = time.perf_counter()
    spectra = sum(len(f) for f in predict_frames([predictor], read_ahead(iter_spectra(files), 32), draws=draws))
    end_to_end = spectra / (time.perf_counter() - start)
    point, noisy, _ = predictor._prepare([s for f in files[:32] for s in read_spectra(f)], draws, 0)
    rows = torch.cat([point, noisy]).flatten(0, 1)
    start = time.perf_counter()
    for _ in range(3):
        predictor._run_network(rows)
    network = 3 * 32 / (time.perf_counter() - start)
    return end_to_end, network


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def boss_files(count: int) -> list[str]:
    pool = sorted(glob.glob(str(SHARED / "reference" / "tiny_boss_spectra" / "*.fits"))) + [str(SHARED / "data" / "sdss" / "spec-0266-51602-0031.fits")]
    return [pool[i % len(pool)] for i in range(count)]


def memory_run(model_path: Path, count: int, draws: int) -> tuple[float, float]:
    """Peak RSS (MB) and wall time of `bossnet-gui predict` on a folder of `count` files."""
    pool = boss_files(7) + sorted(glob.glob(str(SHARED / "data" / "lamost_dr1" / "*.fits")))
    with tempfile.TemporaryDirectory() as folder:
        for i in range(count):
            os.symlink(pool[i % len(pool)], Path(folder) / f"spec-{i:05d}.fits")
        out = Path(folder) / "catalog.fits"
        code = (
            "import resource, sys; from bossnet_gui.cli import main; "
            f"rc = main([{folder!r}, '-o', {str(out)!r}, '--model', {str(model_path)!r}, '--draws', '{draws}']); "
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
        wall = time.perf_counter() - start
        rss = [line for line in done.stdout.splitlines() if line.startswith("MAXRSS")]
        if done.returncode != 0 or not rss:
            raise RuntimeError(done.stderr[-2000:])
        return int(rss[0].split()[1]) / 1024, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=96)
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="alternated runs of the release and ours")
    parser.add_argument("--memory-files", type=int, default=1000, help="0 skips the memory run")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores")

    network = BossNet(ModelArgs()).eval()
    model = LoadedModel("full-size random", network, BOSS_COLUMNS, BOSS_STATS, "optical", 3900, "-", "bench")
    predictor = Predictor(model)
    files = boss_files(args.files)

    peak = matmul_peak()
    fast_gflops = network_gflops(network, predictor)
    print(f"matmul peak (2048^2 float32, measured now): {peak:7.1f} GFLOP/s")
    print(f"network, our inference path:               {fast_gflops:7.1f} GFLOP/s = {100 * fast_gflops / peak:4.1f}% of peak (target 80%)")

    with torch.no_grad():
        probe = torch.randn(4, 1, 3900)
        gap = (release_network(network, probe) - network(probe)).abs().max().item()
    if gap > 1e-4:
        raise SystemExit(f"the release's network form disagrees with BossNet by {gap:.2g}")
    # alternated, so that a slow spell of a shared machine falls on both sides; the median pair is reported
    pairs = []
    for _ in range(args.repeats):
        baseline = args.files / timed(release_pipeline, network, files, args.draws)
        achieved = args.files / timed(ours, predictor, files, args.draws)
        pairs.append((achieved / baseline, baseline, achieved))
        print(f"  release procedure {baseline:5.2f}, bossnet-gui Predictor {achieved:5.2f} spectra/s: {achieved / baseline:.2f}x")
    ratio, baseline, achieved = sorted(pairs)[len(pairs) // 2]
    bound = fast_gflops * 1e9 / ((args.draws + 1) * network.flops_per_spectrum(3900))
    print(f"release procedure, {args.files} files, {args.draws} draws:     {baseline:6.2f} spectra/s (median pair of {args.repeats})")
    print(f"bossnet-gui Predictor, same files:          {achieved:6.2f} spectra/s (our network alone: {bound:.2f})")
    print(f"speed-up over the release in this run:      {ratio:6.2f}x (target >= 1.5x)")
    print(f"absolute target (1.2 x 4.3 spectra/s):      {'met' if achieved >= 5.2 else 'NOT met'} ({achieved:.2f} vs 5.2)")

    if (SHARED / "data" / "lamost_dr8").is_dir():
        end_to_end, limit = bundled_lamost(args.draws)
        print(f"bundled model, network alone (compute limit): {limit:6.1f} spectra/s")
        print(f"bundled model, 220 LAMOST DR8 files end to end: {end_to_end:6.1f} spectra/s = {100 * end_to_end / limit:.0f}% of the limit (target 60)")

    if args.memory_files:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "full-size-random.pt"
            save_bundled(path, network, BOSS_COLUMNS, BOSS_STATS, "optical", 3900, {"note": "benchmark, random weights"})
            rss, wall = memory_run(path, args.memory_files, args.draws)
        print(f"`bossnet-gui predict` on {args.memory_files} files: peak memory {rss:7.0f} MB (target < 2048 MB), {args.memory_files / wall:.2f} spectra/s end to end")


if __name__ == "__main__":
    main()
