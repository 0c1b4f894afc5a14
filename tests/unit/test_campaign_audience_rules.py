"""The audience file's rate bands and the configuration that shapes them."""

import pytest

from alliance_pipeline.config import AudiencesConfig
from alliance_pipeline.marketing import campaign_audience

pytestmark = [pytest.mark.unit, pytest.mark.timeout(30)]


def test_rate_bands_cover_every_rate():
    assert campaign_audience.band_labels([0.01, 0.05, 0.2]) == ["<1%", "1%-5%", "5%-20%", ">=20%"]


@pytest.mark.parametrize("bands", [[], [0.05, 0.01], [0.0, 0.1], [0.1, 1.0], [0.1, 0.1]])
def test_rate_bands_must_increase_within_0_and_1(bands):
    with pytest.raises(ValueError, match="rate_bands"):
        AudiencesConfig(rate_bands=bands)
