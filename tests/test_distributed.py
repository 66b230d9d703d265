"""`predict` on Dask distributed: the same rows as in-process, each spectrum exactly once, whatever dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bossnet_gui.catalog.export import read_catalog
from bossnet_gui.cli import main
from bossnet_gui.distributed import TASK_FAILED, ModelSpec, RunOptions, cluster_frames
from bossnet_gui.engine import predict_frames
from bossnet_gui.io.scan import iter_spectra
from bossnet_gui.model import Predictor, resolve_model

from .conftest import DATA, REFERENCE, REPO, require

distributed = pytest.importorskip("distributed")

DRAWS = 3


@pytest.fixture(scope="module")
def lamost_files():
    files = sorted(require(DATA / "lamost_dr1").glob("*.fits"))[:24]
    broken = Path(os.environ.get("TMPDIR", "/tmp")) / f"bossnet-dist-broken-{os.getpid()}.fits"
    broken.write_bytes(b"SIMPLE  =                    T" + b" " * 50)  # a FITS start, then nothing
    yield [str(f) for f in files] + [str(broken)]
    broken.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def in_process(lamost_files):
    """The rows of the plain in-process run: what every cluster run must reproduce."""
    predictor = Predictor(resolve_model(None))
    frames = predict_frames([predictor], iter_spectra(lamost_files), draws=DRAWS, seed=5, batch_size=32)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            yield client


def _assert_same_rows(frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert frame["source"].is_unique and len(frame) == len(expected)  # each spectrum exactly once
    frame = frame.set_index("source").loc[expected["source"]].reset_index()
    assert frame["status"].tolist() == expected["status"].tolist()
    numeric = [c for c in expected.columns if expected[c].dtype.kind == "f"]
    np.testing.assert_allclose(frame[numeric].to_numpy(float), expected[numeric].to_numpy(float), rtol=0, atol=1e-6)
    assert (frame["result_flags"].to_numpy() == expected["result_flags"].to_numpy()).all()


def _spec() -> ModelSpec:
    return ModelSpec(None, None, resolve_model(None).content_hash)


def test_a_worker_killed_mid_run_loses_nothing_and_duplicates_nothing(cluster, lamost_files, in_process):
    frames = []
    victim = None
    for frame in cluster_frames(cluster, lamost_files, [_spec()], RunOptions(DRAWS, 5, 7, "cpu"), chunk_files=2):
        frames.append(frame)
        if victim is None:  # after the first chunk: tasks are running and queued on both workers
            pids = cluster.run(os.getpid)
            victim = next(iter(pids.values()))
            os.kill(victim, signal.SIGKILL)
    assert victim not in cluster.run(os.getpid).values()  # it really died (and the nanny started another)
    catalog = pd.concat(frames, ignore_index=True)
    _assert_same_rows(catalog, in_process)
    assert catalog.loc[catalog["source"] == lamost_files[-1], "status"].item().startswith("unreadable FITS")


def test_worker_with_other_weights_gives_rows_that_say_so_not_numbers(cluster, lamost_files):
    wrong = ModelSpec(None, None, "0" * 64)
    frames = list(cluster_frames(cluster, lamost_files[:3], [wrong], RunOptions(DRAWS, 5, 32, "cpu"), chunk_files=2))
    catalog = pd.concat(frames, ignore_index=True)
    assert sorted(catalog["source"]) == sorted(lamost_files[:3])
    assert catalog["status"].str.startswith(TASK_FAILED).all() and catalog["status"].str.contains("give every machine the same weights").all()
    assert catalog["Teff"].isna().all() and (catalog["result_flags"] & 1).all()  # runtime_exception, never ok


def test_predict_command_on_a_local_cluster_writes_the_in_process_catalog(tmp_path, lamost_files, in_process):
    out = tmp_path / "cat.parquet"
    args = [*lamost_files, "-o", str(out), "-u", str(DRAWS), "--seed", "5", "--workers", "2", "--chunk-files", "5"]
    assert main(args) == 0
    catalog, meta = read_catalog(out)
    assert catalog["source"].tolist() == in_process["source"].tolist()  # written back in input order
    _assert_same_rows(catalog, in_process)
    assert meta["DRAWS"] == DRAWS and meta["SEED"] == 5


def test_killed_client_resumes_parts_without_redoing_or_repeating(tmp_path, lamost_files, in_process):
    out = tmp_path / "cat.parquet"
    args = [*lamost_files, "-o", str(out), "-u", str(DRAWS), "--seed", "5", "--parts", "-b", "2"]
    run = subprocess.Popen([sys.executable, "-c", "import sys; from bossnet_gui.cli import main; sys.exit(main(sys.argv[1:]))", *args], cwd=REPO, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(out.glob("part-*.parquet"))) < 3 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    written = sorted(p.name for p in out.glob("part-*.parquet"))
    assert 3 <= len(written) < len(lamost_files) / 2  # killed part-way
    done_before = read_catalog(out)[0]
    assert main(args + ["--resume", "--workers", "2", "--chunk-files", "4"]) == 0  # resumed on a cluster, other partitioning
    catalog = read_catalog(out)[0]
    assert set(done_before["source"]) < set(catalog["source"])
    _assert_same_rows(catalog, in_process)
    assert pd.read_parquet(out)["source"].is_unique  # as pandas reads the folder, too


@pytest.mark.parametrize("parts", [False, True])
def test_resume_runs_the_files_of_failed_tasks_again(tmp_path, lamost_files, in_process, parts):
    from bossnet_gui.catalog.export import arrow_table, write_catalog, write_part

    out = tmp_path / "cat.parquet"
    args = [*lamost_files[:4], "-o", str(out), "-u", str(DRAWS), "--seed", "5"] + (["--parts"] if parts else [])
    assert main(args) == 0
    catalog, meta = read_catalog(out)
    catalog.loc[1, "status"] = f"{TASK_FAILED} (KilledWorker: ...)"  # as a chunk whose worker died comes back
    catalog.loc[1, ["Teff", "logg"]] = np.nan
    if parts:
        for part in out.glob("part-*"):
            part.unlink()
        write_part(arrow_table(catalog, meta), out, "part-000000.parquet")
    else:
        write_catalog(catalog, out, meta)
    assert main(args + ["--resume"]) == 0
    _assert_same_rows(read_catalog(out)[0], in_process.iloc[:4])


def test_a_comparison_model_runs_on_the_cluster_as_in_process(cluster, lamost_files):
    """``predict --compare`` on Dask: each worker loads both models; the comparison columns equal the in-process run's."""
    tiny = str(require(REFERENCE / "official_tiny_boss"))
    files = lamost_files[:6]
    expected = pd.concat(predict_frames([Predictor(resolve_model(None))], iter_spectra(files), draws=DRAWS, seed=5, batch_size=32,
                                        compare=Predictor(resolve_model(tiny))), ignore_index=True)
    compare = ModelSpec(tiny, None, resolve_model(tiny).content_hash)
    frames = list(cluster_frames(cluster, files, [_spec()], RunOptions(DRAWS, 5, 32, "cpu"), chunk_files=4, compare=compare))
    catalog = pd.concat(frames, ignore_index=True)
    assert set(catalog.loc[catalog["status"] == "ok", "cmp_model"]) == {"official_tiny_boss"}
    compared = [c for c in expected.columns if c.startswith(("cmp_", "delta_")) or c == "disagreement"]
    _assert_same_rows(catalog.drop(columns=compared), expected.drop(columns=compared))
    # the published network sums in another order on a one-thread worker: equal to float rounding
    catalog = catalog.set_index("source").loc[expected["source"]].reset_index()
    numeric = [c for c in compared if expected[c].dtype.kind == "f"]
    np.testing.assert_allclose(catalog[numeric].to_numpy(float), expected[numeric].to_numpy(float), rtol=1e-7, atol=1e-6)
