"""Batched BOSS Net inference with Monte-Carlo uncertainties, streamed one batch at a time.

For each batch the flux is resampled once (``preprocess.Resampler``); every noise draw
``error * N(0, 1)`` on the native pixels is pushed through the same linear resampling, so the
published procedure (noise on native pixels, then the full pre-processing and network per draw)
is reproduced without re-reading or re-resampling the flux. The point estimate and all draws go
through the network together, in chunks that bound memory.

Noise for a spectrum comes from a generator keyed on (seed, file name, HDU), so a star gets
the same draws whatever batch, order or batch size it is predicted in.
"""

from __future__ import annotations

import math
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch

from ..errors import SpectrumReadError
from ..preprocess import GRID_START, GRID_STOP, NativeBatch, Resampler, boss_grid, log_scale
from ..results import DERIVED, BatchResult
from ..spectrum import APOGEE, OPTICAL, Spectrum
from .fast import FastBossNet
from .weights import LoadedModel

MIN_USABLE_PIXELS = 16  # fewer good pixels in the model's range are no spectrum to judge a star by


def noise_seed(seed: int, spectrum: Spectrum) -> list[int]:
    key = os.fsencode(f"{Path(spectrum.meta.source).name}|{spectrum.meta.hdu}")  # the name's own bytes: it need not be UTF-8
    return [int(seed), zlib.crc32(key)]


PREPARE_PARTS = 4  # a batch's inputs are made in this many parts, on up to this many threads
MIN_PREPARE_PART = 4  # spectra; smaller batches are not worth a thread

CONV_CHUNK_BYTES = 12 << 20  # the widest activation of the rows convolved together


def conv_rows(args, length: int) -> int:
    """Rows convolved in one go: as many as keep the widest activation near CONV_CHUNK_BYTES, a power of two.
    Measured (network alone, 2 cores): the bundled small network runs 57 spectra/s at 8 rows and 64 at 32;
    the published one 8.9 at 8 rows, 9.1 at 16 and 8.7 at 32."""
    widest = (args.model_dim * max(args.dim_mults) + args.extra_input_channels) * length * 4
    rows = max(1, min(128, CONV_CHUNK_BYTES // max(widest, 1)))
    return 1 << (rows.bit_length() - 1)


class Predictor:
    """Runs a ``LoadedModel`` over spectra: point estimates plus Monte-Carlo uncertainties."""

    def __init__(self, model: LoadedModel, device: str = "cpu", conv_chunk: int | None = None, linear_chunk: int = 256):
        self.model = model
        self.device = torch.device(device)
        self.network = FastBossNet(model.network).to(self.device)
        self.conv_chunk = conv_chunk or conv_rows(model.network.args, model.input_length)
        self.linear_chunk = linear_chunk
        self.grid = boss_grid() if model.domain == OPTICAL else None
        self.columns = tuple(model.columns) + tuple(d for d, src in DERIVED.items() if src in model.columns)
        self._preparer_pool: tuple[int, ThreadPoolExecutor] | None = None

    # -- checks -------------------------------------------------------------------------------

    def unusable_reason(self, spectrum: Spectrum) -> str | None:
        """Why this model cannot predict this spectrum, or None if it can."""
        if spectrum.meta.domain != self.model.domain:
            what = "APOGEE near-IR" if spectrum.meta.domain == APOGEE else "optical"
            return f"{what} spectrum, but the model '{self.model.name}' takes {self.model.domain} spectra"
        finite = np.isfinite(spectrum.flux)
        if not finite.any():
            return "no finite flux values (all NaN or infinite)"
        if self.model.domain == APOGEE:
            if spectrum.n_pixels != self.model.input_length:
                return f"{spectrum.n_pixels} pixels; the APOGEE model needs the {self.model.input_length}-pixel apStar grid"
            return self._too_few_usable_pixels(spectrum, np.ones(spectrum.n_pixels, dtype=bool), "")
        wave = spectrum.wavelength[finite]
        if wave.max() < GRID_START or wave.min() > GRID_STOP:
            return f"covers {wave.min():.0f}-{wave.max():.0f} Å, outside the model's {GRID_START:.0f}-{GRID_STOP:.0f} Å grid"
        inside = (spectrum.wavelength >= GRID_START) & (spectrum.wavelength <= GRID_STOP)
        return self._too_few_usable_pixels(spectrum, inside, f" in {GRID_START:.0f}-{GRID_STOP:.0f} Å")

    @staticmethod
    def _too_few_usable_pixels(spectrum: Spectrum, inside: np.ndarray, where: str) -> str | None:
        """Why the pixels ``inside`` the model's range hold no star: too few marked good with positive flux."""
        with np.errstate(invalid="ignore"):
            positive = spectrum.flux > 0
        usable = int(np.count_nonzero(inside & spectrum.mask & positive))
        if usable >= MIN_USABLE_PIXELS:
            return None
        if usable:
            return f"only {usable} usable pixels{where} (a spectrum needs {MIN_USABLE_PIXELS})"
        if not np.any(inside & positive):
            return f"no usable pixel{where}: the flux is zero or negative everywhere"
        return f"no usable pixel{where}: every pixel with flux is masked (zero or negative inverse variance, or a bad-pixel bit)"

    # -- network input ------------------------------------------------------------------------

    def network_input(self, spectra: Sequence[Spectrum]) -> tuple[torch.Tensor, np.ndarray]:
        """The log-scaled flux the network sees (B, L) and the extrapolated grid fraction (B,)."""
        inputs, _, fraction = self._prepare(spectra, draws=0, seed=0)
        return inputs[0, :, 0], fraction

    def _prepare(self, spectra: Sequence[Spectrum], draws: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None, np.ndarray]:
        """Noiseless input (1, B, C, L), noisy inputs (draws, B, C, L) or None, extrapolated fractions (B,).

        Every row is made on its own (noise seeded per spectrum), so parts of the batch are made in
        threads, as many as torch may use (NumPy releases the interpreter lock), and joined: the same
        arrays, in about half the time on two cores."""
        size = max(-(-len(spectra) // PREPARE_PARTS), MIN_PREPARE_PART)
        parts = [spectra[i : i + size] for i in range(0, len(spectra), size)]
        pool = self._preparers()
        if len(parts) == 1 or pool is None:
            point, noisy, coverage, fraction = self._prepare_arrays(spectra, draws, seed)
        else:
            made = list(pool.map(self._prepare_arrays, parts, [draws] * len(parts), [seed] * len(parts)))
            point, coverage, fraction = (np.concatenate([m[i] for m in made]) for i in (0, 2, 3))
            noisy = np.concatenate([m[1] for m in made], axis=1) if draws else None
        coverage = torch.from_numpy(coverage)
        point_input = self._channels(torch.from_numpy(point)[None], coverage)
        return point_input, (self._channels(torch.from_numpy(noisy), coverage) if noisy is not None else None), fraction

    def _preparers(self) -> ThreadPoolExecutor | None:
        """Threads for making inputs: as many as torch may use (one in a Dask worker, all but one beside the GUI); None for one."""
        threads = min(PREPARE_PARTS, torch.get_num_threads())
        if threads < 2:
            return None
        if self._preparer_pool is None or self._preparer_pool[0] != threads:
            if self._preparer_pool is not None:
                self._preparer_pool[1].shutdown(wait=False)
            self._preparer_pool = (threads, ThreadPoolExecutor(max_workers=threads, thread_name_prefix="prepare"))
        return self._preparer_pool[1]

    def _prepare_arrays(self, spectra: Sequence[Spectrum], draws: int, seed: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
        """Log-scaled flux (B, L), noisy flux (draws, B, L) or None, coverage (B, L), extrapolated fractions (B,)."""
        native = NativeBatch.from_spectra(spectra)
        noise = self._noise(spectra, native.error, draws, seed) if draws else None
        if self.model.domain == APOGEE:
            flux = np.nan_to_num(native.flux, nan=0.0, posinf=0.0, neginf=0.0)
            coverage = (flux != 0).astype(np.float32)
            point = log_scale(flux)
            noisy = log_scale(flux + noise) if noise is not None else None
            fraction = 1.0 - coverage.mean(1)
        else:
            resampler = Resampler(native.wavelength, np.isnan(native.flux), self.grid)
            resampled = resampler.apply(native.flux).astype(np.float32)
            point = log_scale(resampled)
            noisy = log_scale(resampled + resampler.apply(noise)) if noise is not None else None
            coverage = (resampler.apply(native.usable) * ~resampler.outside).astype(np.float32)
            fraction = resampler.extrapolated_fraction
        return point, noisy, coverage, fraction

    def _channels(self, flux: torch.Tensor, coverage: torch.Tensor) -> torch.Tensor:
        """(..., B, L) flux to (..., B, C, L), adding the coverage channel when the network takes one."""
        if not self.model.network.args.extra_input_channels:
            return flux[..., None, :]
        return torch.stack([flux, coverage.expand_as(flux)], dim=-2)

    @staticmethod
    def _noise(spectra: Sequence[Spectrum], error: np.ndarray, draws: int, seed: int) -> np.ndarray:
        """error * N(0, 1) on native pixels, (draws, B, N); zero where the error is not finite."""
        normal = np.zeros((draws, *error.shape), dtype=np.float32)
        for i, spectrum in enumerate(spectra):
            rng = np.random.default_rng(noise_seed(seed, spectrum))
            normal[:, i, : spectrum.n_pixels] = rng.standard_normal((draws, spectrum.n_pixels), dtype=np.float32)
        return normal * np.nan_to_num(error, nan=0.0, posinf=0.0, neginf=0.0)

    # -- network ------------------------------------------------------------------------------

    def _run_network(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(R, C, L) network inputs to physical values (R, T) and last hidden layer (R, H), in memory-bounded chunks."""
        values, hidden = [], []
        head, last = self.network.linear[:-1], self.network.linear[-1]
        with torch.inference_mode():
            for start in range(0, len(inputs), self.linear_chunk):
                rows = inputs[start : start + self.linear_chunk].to(self.device)
                features = torch.empty((len(rows), self.network.linear_input_size), device=self.device)
                for c in range(0, len(rows), self.conv_chunk):
                    features[c : c + self.conv_chunk] = self.network.features(rows[c : c + self.conv_chunk])
                chunk_hidden = head(features)
                values.append(last(chunk_hidden).cpu())
                hidden.append(chunk_hidden.cpu())
        return self.model.unnormalise(torch.cat(values).double()), torch.cat(hidden)

    def _with_derived(self, values: torch.Tensor) -> torch.Tensor:
        derived = [10 ** values[..., self.model.columns.index(src)] for src in DERIVED.values() if src in self.model.columns]
        return torch.cat([values, torch.stack(derived, -1)], -1) if derived else values

    # -- prediction ---------------------------------------------------------------------------

    def predict_batch(self, spectra: Sequence[Spectrum], draws: int = 20, seed: int = 0) -> dict[str, np.ndarray | None]:
        """Arrays for one batch: point (B, C), median and std over draws (None without draws),
        extrapolated_fraction (B,), ood_score (B,)."""
        point_input, noisy_input, fraction = self._prepare(spectra, draws, seed)
        b = len(spectra)
        rows = point_input if noisy_input is None else torch.cat([point_input, noisy_input])
        values, hidden = self._run_network(rows.flatten(0, 1))
        values = self._with_derived(values).reshape(-1, b, len(self.columns))
        ood = self.model.ood.score(hidden[:b]).numpy() if self.model.ood is not None else np.full(b, np.nan)
        out = {"point": values[0].numpy(), "median": None, "std": None, "extrapolated_fraction": fraction, "ood_score": ood}
        if draws:
            samples = values[1:]
            # torch.median takes the lower middle value for an even count, as the published pipeline does
            out["median"] = torch.median(samples, dim=0).values.numpy()
            std = torch.std(samples, dim=0).numpy() if draws > 1 else np.zeros_like(out["point"])
            out["std"] = self._with_model_error(std, out["median"])
        return out

    def _with_model_error(self, std: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """The draws' spread plus the model's own error term, in quadrature, when its weights carry one
        (``metadata["model_error"]``: label -> σ, fitted on validation spectra; published weights have none).
        A derived column gets the term propagated (Teff: ln 10 · Teff · σ_logTeff)."""
        terms = self.model.metadata.get("model_error") or {}
        if not terms:
            return std
        std = std.copy()
        for name, term in terms.items():
            if name in self.columns:
                std[:, self.columns.index(name)] = np.hypot(std[:, self.columns.index(name)], term)
        for derived, source in DERIVED.items():
            if derived in self.columns and source in terms:
                i = self.columns.index(derived)
                std[:, i] = np.hypot(std[:, i], math.log(10) * centre[:, i] * terms[source])
        return std

    def predict_iter(
        self,
        items: Iterable[Spectrum | SpectrumReadError],
        draws: int = 20,
        seed: int = 0,
        batch_size: int = 32,
    ) -> Iterator[BatchResult]:
        """Yield one ``BatchResult`` per ``batch_size`` inputs, in input order.

        Inputs may be read failures (``SpectrumReadError``); they come back as rows with their
        reason. Stop iterating to cancel: nothing runs between yields.
        """
        batch: list[Spectrum | SpectrumReadError] = []
        start = 0
        for item in items:
            batch.append(item)
            if len(batch) == batch_size:
                yield self._predict_items(batch, start, draws, seed)
                start += len(batch)
                batch = []
        if batch:
            yield self._predict_items(batch, start, draws, seed)

    def predict(self, items: Iterable[Spectrum | SpectrumReadError], draws: int = 20, seed: int = 0, batch_size: int = 32) -> BatchResult:
        """All results at once (concatenated batches)."""
        return concatenate(list(self.predict_iter(items, draws, seed, batch_size)), self.columns, draws)

    def _predict_items(self, items, start: int, draws: int, seed: int) -> BatchResult:
        result = BatchResult.unpredicted(items, self.columns, draws=draws, start=start)
        usable = []
        for i, spectrum in enumerate(result.spectra):
            if spectrum is None:
                continue
            reason = self.unusable_reason(spectrum)
            if reason:
                result.status[i] = reason
            else:
                usable.append(i)
        if usable:
            arrays = self.predict_batch([result.spectra[i] for i in usable], draws, seed)
            for name, values in arrays.items():
                if values is not None:
                    getattr(result, name)[usable] = values
        for i in usable:
            if not np.isfinite(result.point[i, : len(self.model.columns)]).all():
                result.status[i] = "the network gave no finite values for this spectrum"
        return result


def concatenate(batches: list[BatchResult], columns: tuple[str, ...], draws: int) -> BatchResult:
    """One BatchResult holding several consecutive ones."""
    empty = np.empty((0, len(columns)))

    def stack(name: str, default):
        arrays = [getattr(b, name) for b in batches]
        return np.concatenate(arrays) if arrays else default

    return BatchResult(
        start=batches[0].start if batches else 0,
        sources=[s for b in batches for s in b.sources],
        spectra=[s for b in batches for s in b.spectra],
        status=[s for b in batches for s in b.status],
        columns=columns,
        point=stack("point", empty),
        median=stack("median", empty) if draws else None,
        std=stack("std", empty) if draws else None,
        extrapolated_fraction=stack("extrapolated_fraction", np.empty(0)),
        ood_score=stack("ood_score", np.empty(0)),
    )
