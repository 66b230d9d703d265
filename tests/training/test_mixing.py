"""Label mixing: blended views of two training stars with nearby labels, labelled with the same mix."""

from dataclasses import replace

import numpy as np

from bossnet_gui.model.network import BossNet
from bossnet_gui.training.library import LABELS, STELIB
from bossnet_gui.training.simulate import Augmentation
from bossnet_gui.training.views import ViewMaker

from .test_training_run import TINY, synthetic_star

TEFF_LOGG = [(5000, 4.4), (5100, 4.5), (5200, 4.3), (6500, 4.1), (5050, 4.45)]


def view_maker():
    stars = [synthetic_star(i, t, g) for i, (t, g) in enumerate(TEFF_LOGG)]
    stars[4] = replace(stars[4], library=STELIB)  # labels next to stars 0-2, but another library
    return ViewMaker(stars, BossNet(TINY), Augmentation(snr_range=(50.0, 100.0)))


def test_neighbours_are_within_the_label_box_and_the_same_library():
    mixing = view_maker().mixing(list(range(5)), fraction=1.0)
    assert sorted(mixing.neighbours[0]) == [1, 2]  # 0.02 dex in log Teff is ~240 K at 5000 K
    assert sorted(mixing.neighbours[2]) == [0, 1]
    assert len(mixing.neighbours[3]) == 0 and len(mixing.neighbours[4]) == 0


def test_blended_views_carry_the_mixed_labels():
    views = view_maker()
    mixing = views.mixing(list(range(5)), fraction=1.0)
    rng = np.random.default_rng(1)
    batch = views.batch([0, 0, 0, 3], rng, mixing=mixing)
    teff = batch.labels[:, LABELS.index("logTeff")]
    own = views.stars[0].labels[LABELS.index("logTeff")]
    partners = [views.stars[i].labels[LABELS.index("logTeff")] for i in (1, 2)]
    assert all(min(own, *partners) <= t <= max(own, *partners) for t in teff[:3])
    assert not np.allclose(teff[:3], own)  # blended, not the star itself
    assert teff[3] == views.stars[3].labels[LABELS.index("logTeff")]  # no neighbour: a plain view
    rv = LABELS.index("rv")
    np.testing.assert_allclose(batch.labels[:, rv], [c.rv for c in batch.conditions])  # synthetic stars rest at 0


def test_no_mixing_draws_the_same_views_as_before():
    views = view_maker()
    plain = views.batch([0, 1, 2], np.random.default_rng(5))
    none_mixed = views.batch([0, 1, 2], np.random.default_rng(5), mixing=views.mixing([0, 1, 2], fraction=0.0))
    np.testing.assert_array_equal(plain.inputs.numpy(), none_mixed.inputs.numpy())
