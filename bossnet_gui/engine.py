"""The headless engine: spectra in, catalog rows out, one batch at a time.

Each spectrum goes to the model for its domain (an optical model for BOSS/LAMOST/generic
spectra, an APOGEE model for near-IR ones); one with no model for its domain goes to the
first model, which reports why it cannot predict it. Rows come back in input order. With a
``compare`` model, every row also gets that model's point estimates and the differences
(``catalog.table.COMPARISON``): two models side by side on the same spectra.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import pandas as pd

from .catalog.table import frame_from_batch, with_comparison
from .errors import SpectrumReadError
from .spectrum import Spectrum

if TYPE_CHECKING:
    from .model import Predictor


def _domain(item: Spectrum | SpectrumReadError) -> str | None:
    return None if isinstance(item, SpectrumReadError) else item.meta.domain


def predict_frames(
    predictors: Sequence[Predictor],
    items: Iterable[Spectrum | SpectrumReadError],
    draws: int = 20,
    seed: int = 0,
    batch_size: int = 32,
    compare: Predictor | None = None,
) -> Iterator[pd.DataFrame]:
    """Catalog rows for each ``batch_size`` inputs; stop iterating to cancel."""
    by_domain = {p.model.domain: p for p in reversed(predictors)}
    iterator = iter(items)
    while batch := list(islice(iterator, batch_size)):
        groups: dict[int, list[int]] = {}
        chosen = {}
        for i, item in enumerate(batch):
            predictor = by_domain.get(_domain(item), predictors[0])
            groups.setdefault(id(predictor), []).append(i)
            chosen[id(predictor)] = predictor
        frames = []
        for key, positions in groups.items():
            predictor = chosen[key]
            result = predictor.predict([batch[i] for i in positions], draws=draws, seed=seed, batch_size=len(positions))
            frames.append(frame_from_batch(result, predictor.model).set_axis(positions))
        frame = pd.concat(frames).sort_index().reset_index(drop=True)
        if compare is not None:
            frame = with_comparison(frame, compare.predict(batch, draws=0, seed=seed, batch_size=len(batch)), compare.model.name)
        yield frame
