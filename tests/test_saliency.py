"""Integrated gradients: they add up to the prediction's departure from a featureless spectrum, and on
library stars the lines that set a label carry more than their share of it."""

import numpy as np
import pytest

from bossnet_gui.gui.feature_lines import FEATURES
from bossnet_gui.io import read_spectra
from bossnet_gui.model import Predictor
from bossnet_gui.model.saliency import saliency
from bossnet_gui.training.library import load_miles
from bossnet_gui.training.simulate import Augmentation
from bossnet_gui.training.views import ViewMaker

from .conftest import DATA, require


def test_attributions_add_up_to_the_prediction_minus_the_featureless_baseline(bundled):
    spectrum = read_spectra(sorted(require(DATA / "lamost_dr1").glob("spec-*.fits"))[0])[0]
    predictor = Predictor(bundled)
    result = saliency(predictor, spectrum)
    point = predictor.predict([spectrum], draws=0)
    for label in ("logTeff", "logg", "FeH"):
        assert result.prediction[label] == pytest.approx(point.point[0, point.columns.index(label)], abs=1e-4)
        difference = result.prediction[label] - result.baseline[label]
        assert result.attribution[label].sum() == pytest.approx(difference, rel=0.05, abs=0.002)
        assert result.attribution[label].shape == result.wavelength.shape == (3900,)
        assert result.share(label).sum() == pytest.approx(1.0)


def _near(grid, families, half):
    centres = [w for f in FEATURES if f.family in families for w in f.wavelengths]
    return np.any(np.abs(grid[:, None] - np.array(centres)[None, :]) < half, axis=1)


def _enrichment(model, stars, label, families, half):
    """Per star: the share of |attribution| within ``half`` Å of the families' lines over the share of the grid there."""
    predictor = Predictor(model)
    views = ViewMaker(stars, model.network)
    rng = np.random.default_rng(3)
    values = []
    for i in range(len(stars)):
        result = saliency(predictor, views.view(i, Augmentation().clean(snr=100.0), rng, "saliency"), labels=(label,))
        near = _near(result.wavelength, families, half)
        values.append(result.share(label)[near].sum() / near.mean())
    return np.array(values)


@pytest.fixture(scope="module")
def miles():
    return [s for s in load_miles(require(DATA / "training" / "miles")) if s.has_teff and np.isfinite(s.labels[:3]).all()]


def test_balmer_lines_carry_teff_in_hot_stars(bundled, miles):
    hot = [s for s in miles if 7500 < s.teff < 12000][::3][:10]
    enrichment = _enrichment(bundled, hot, "logTeff", ("Balmer",), 50.0)
    assert np.median(enrichment) > 1.3 and (enrichment > 1.0).mean() >= 0.8, enrichment.round(2)


def test_gravity_sensitive_lines_carry_log_g_in_cool_stars(bundled, miles):
    cool = [s for s in miles if 4000 < s.teff < 6000][::7][:10]
    enrichment = _enrichment(bundled, cool, "logg", ("Mg b", "Na D", "Ca II H&K and triplet"), 25.0)
    assert np.median(enrichment) > 1.3 and (enrichment > 1.0).mean() >= 0.8, enrichment.round(2)


def test_nearest_training_spectra_are_found_in_the_networks_features_and_survive_saving(bundled):
    from dataclasses import replace

    import torch

    from bossnet_gui.model.explain import nearest_training
    from bossnet_gui.model.ood import FeatureDistance

    spectra = [read_spectra(p)[0] for p in sorted(require(DATA / "lamost_dr1").glob("spec-*.fits"))[:6]]
    predictor = Predictor(bundled)
    inputs, _, _ = predictor._prepare(spectra, draws=0, seed=0)
    _, hidden = predictor._run_network(inputs[0])
    names = tuple(f"training star {i}" for i in range(6))
    labels = torch.tensor([[5000.0 + 100 * i, 4.0, -0.1 * i] for i in range(6)])
    scorer = replace(FeatureDistance.fit(hidden, n_components=4, k=2), scale=1.0, threshold=3.0, reference_names=names, reference_labels=labels)
    scorer = FeatureDistance.from_dict(scorer.to_dict())  # as saved in the weights
    model = replace(bundled, ood=scorer)
    found = nearest_training(Predictor(model), spectra[2], k=3)
    assert [n.name for n in found][0] == "training star 2" and found[0].distance == pytest.approx(0.0, abs=1e-3)
    assert found[0].teff == 5200.0 and len({n.name for n in found}) == 3 and found[1].distance >= found[0].distance
    assert nearest_training(Predictor(replace(bundled, ood=replace(scorer, reference_names=()))), spectra[2]) == []


def test_a_comparison_model_adds_its_values_and_the_differences(bundled):
    from bossnet_gui.engine import predict_frames
    from bossnet_gui.model import load_published

    from .conftest import REFERENCE

    other = load_published(require(REFERENCE / "official_tiny_boss"))
    spectra = [read_spectra(p)[0] for p in sorted(require(DATA / "lamost_dr1").glob("spec-*.fits"))[:4]]
    frame = next(predict_frames([Predictor(bundled)], spectra, draws=2, batch_size=4, compare=Predictor(other)))
    alone = Predictor(other).predict(spectra, draws=0)
    np.testing.assert_allclose(frame["cmp_Teff"], alone.point[:, alone.columns.index("Teff")], rtol=1e-6)
    np.testing.assert_allclose(frame["delta_logg"], frame["logg"] - alone.point[:, alone.columns.index("logg")], atol=1e-9)
    expected = np.max(np.column_stack([np.abs(frame["logTeff"] - np.log10(frame["cmp_Teff"])) / 0.05,
                                       np.abs(frame["delta_logg"]) / 0.5, np.abs(frame["delta_FeH"]) / 0.5]), axis=1)
    np.testing.assert_allclose(frame["disagreement"], expected, rtol=1e-6)
    assert set(frame["cmp_model"]) == {other.name}
