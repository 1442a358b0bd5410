"""The goal settings of TALLY_CONFIG, read once at start."""

import pytest

from scoring.catalog import DEFAULT_CATALOG
from scoring.rules import ScoringRules


def test_a_realistic_day_is_one_and_a_half_even_days_unless_configured() -> None:
    assert ScoringRules.from_config(DEFAULT_CATALOG, {}).realistic_day == 150
    assert ScoringRules.from_config(DEFAULT_CATALOG, {"weekly_goal": 300}).realistic_day == 90
    configured = ScoringRules.from_config(DEFAULT_CATALOG, {"max_day_points": 200})
    assert configured.realistic_day == 200


@pytest.mark.parametrize("bad", [0, -5, 1.5, "150", True])
def test_a_bad_realistic_day_is_explained(bad: object) -> None:
    with pytest.raises(ValueError, match="max_day_points must be a positive whole number"):
        ScoringRules.from_config(DEFAULT_CATALOG, {"max_day_points": bad})
