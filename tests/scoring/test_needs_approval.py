"""`needs_approval` in TALLY_CONFIG: activity keys of the catalog, or a one-line error."""

import pytest

from bot.settings import SettingsError, load_settings
from scoring.catalog import DEFAULT_CATALOG
from scoring.rules import ScoringRules


def test_the_config_names_the_activities_a_manager_approves() -> None:
    rules = ScoringRules.from_config(DEFAULT_CATALOG, {"needs_approval": ["closed_won"]})

    assert rules.needs_approval == {"closed_won"}
    assert ScoringRules.from_config(DEFAULT_CATALOG, {}).needs_approval == frozenset()


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (
            'needs_approval = ["closed_lost"]',
            "needs_approval names closed_lost: not in the catalog",
        ),
        ('needs_approval = "closed_won"', "needs_approval must be a list of activity keys"),
        ("needs_approval = [1]", "needs_approval must be a list of activity keys"),
    ],
)
def test_a_bad_list_is_a_one_line_settings_error(tmp_path, line: str, said: str) -> None:
    config = tmp_path / "tally.toml"
    config.write_text(line + "\n")

    with pytest.raises(SettingsError, match=said):
        load_settings({"TALLY_CONFIG": str(config)}, slack=False)
