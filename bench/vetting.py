"""What vetting one star costs: saliency, nearest training spectra, and the queue on 10,000 rows.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/vetting.py [--stars 20]

Prints, each against a baseline measured in the same run:
  * saliency (integrated gradients, 32 steps, 3 labels) per star, against one prediction of the
    same star with 20 Monte-Carlo draws (what the app already spends on it), for the bundled model
    and for the published architecture (the tiny reference checkpoint's full-size network);
  * the nearest-training-spectra lookup per star, against a point prediction without draws;
  * what the network expects (the template at the predicted parameters and the 3 nearest training
    spectra, rebuilt from the shipped components and matched to the star), against the same point
    prediction;
  * the vetting queue on 10,000 catalog rows: sorting by suspicion (Q) against sorting by a column,
    and one "next unvetted" step (V) against one "next star" step (N).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED = REPO.parent / "shared"


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def per_star(model, spectra, work) -> float:
    return float(np.median([best_of(2, lambda s=s: work(s)) for s in spectra]))


def model_costs(model, spectra) -> None:
    from bossnet_gui.model import Predictor
    from bossnet_gui.model.explain import expected_spectra, nearest_training, point_and_features
    from bossnet_gui.model.saliency import saliency

    predictor = Predictor(model)
    predict = per_star(model, spectra, lambda s: predictor.predict([s], draws=20))
    point = per_star(model, spectra, lambda s: predictor.predict([s], draws=0))
    explained = per_star(model, spectra, lambda s: saliency(predictor, s))
    print(f"{model.name}: saliency {1000 * explained:.0f} ms per star = {explained / predict:.1f}x a prediction with 20 draws ({1000 * predict:.0f} ms)")
    if model.ood is not None and model.ood.reference_names:
        lookup = per_star(model, spectra, lambda s: nearest_training(predictor, s))
        print(f"{model.name}: nearest training spectra {1000 * lookup:.1f} ms per star = {lookup / point:.2f}x a point prediction "
              f"({1000 * point:.1f} ms), {len(model.ood.reference_names):,} reference views")
    else:
        print(f"{model.name}: no recorded training spectra (nearest-neighbour lookup not available)")
        return

    def expected(spectrum):
        values, hidden = point_and_features(predictor, spectrum)
        return expected_spectra(model, spectrum, values, nearest_training(predictor, spectrum, hidden=hidden))

    if expected(spectra[0]) is not None:
        cost = per_star(model, spectra, expected)
        print(f"{model.name}: what the network expects (template + 3 nearest, matched) {1000 * cost:.1f} ms per star = "
              f"{cost / point:.2f}x a point prediction")


def queue_costs(rows: int = 10_000) -> None:
    from PySide6.QtCore import Qt, QThreadPool
    from PySide6.QtWidgets import QApplication

    from bossnet_gui.gui.catalog_model import CatalogModel
    from bossnet_gui.gui.catalog_table import CatalogTable
    from tests.catalog_factory import synthetic_catalog

    app = QApplication.instance() or QApplication([])
    catalog = CatalogModel()
    table = CatalogTable(catalog)
    frame = synthetic_catalog(rows)
    catalog.add_files(frame["source"])
    catalog.apply_results(frame)
    teff = table.table_model.columns.index("Teff")

    def by_column():
        table.table_model.sort_key = None
        table.table_model.sort(teff, Qt.SortOrder.AscendingOrder)

    def by_suspicion():
        table.table_model.sort_key = None
        table.sort_by_suspicion()

    column_sort, queue_sort = best_of(5, by_column), best_of(5, by_suspicion)
    print(f"queue on {rows:,} rows: sort by suspicion {1000 * queue_sort:.1f} ms = {queue_sort / column_sort:.1f}x a sort by Teff ({1000 * column_sort:.1f} ms)")
    catalog.set_current(table.table_model.catalog_row(0))
    step = best_of(20, lambda: table.step(+1))
    unvetted = best_of(20, lambda: table.step(+1, catalog.unvetted()))
    print(f"queue on {rows:,} rows: next unvetted star {1000 * unvetted:.2f} ms = {unvetted / step:.1f}x next star ({1000 * step:.2f} ms)")
    QThreadPool.globalInstance().waitForDone()  # the spectrum reads the steps asked for (of files that do not exist)
    app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stars", type=int, default=20)
    args = parser.parse_args()
    import torch

    from bossnet_gui.io import read_spectra
    from bossnet_gui.model import load_published, resolve_model

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    files = sorted((SHARED / "data" / "lamost_dr1").glob("spec-*.fits"))[: args.stars]
    spectra = [read_spectra(f)[0] for f in files]
    print(f"{len(spectra)} LAMOST DR1 stars, {torch.get_num_threads()} threads")
    model_costs(resolve_model(), spectra)
    tiny = SHARED / "reference" / "official_tiny_boss"
    if tiny.exists():
        model_costs(load_published(tiny), spectra[:5])
    queue_costs()


if __name__ == "__main__":
    main()
