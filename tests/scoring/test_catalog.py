import pytest

from scoring.catalog import DEFAULT_CATALOG, ActivityType, Catalog, catalog_from_config

SOP_POINTS = {
    "call": 1,
    "email": 1,
    "dm_conversation": 5,
    "dm_connection": 5,
    "meeting_booked": 10,
    "discovery_self_led": 25,
    "discovery_mentor_led": 20,
    "demo_shadow": 15,
    "demo_meeting_booked": 10,
    "demo_self_led": 25,
    "demo_mentor_led": 20,
    "closed_won": 25,
}


def test_default_catalog_is_the_sop_table():
    assert {activity.key: activity.points for activity in DEFAULT_CATALOG} == SOP_POINTS
    assert [activity.key for activity in DEFAULT_CATALOG] == list(SOP_POINTS)


def test_get_finds_a_type_by_key_and_none_otherwise():
    assert DEFAULT_CATALOG.get("demo_self_led").label == "Demo – self-led"
    assert DEFAULT_CATALOG.get("cold_call") is None


@pytest.mark.parametrize(
    ("key", "one", "many"),
    [
        ("demo_self_led", "1 self-led demo", "2 self-led demos"),
        ("call", "1 call", "3 calls"),
        ("meeting_booked", "1 meeting booked", "4 meetings booked"),
        ("discovery_mentor_led", "1 mentor-led discovery", "2 mentor-led discoveries"),
        ("closed_won", "1 closed-won deal", "2 closed-won deals"),
    ],
)
def test_describe_pluralizes(key, one, many):
    activity = DEFAULT_CATALOG.get(key)
    count = int(many.split()[0])
    assert (activity.describe(1), activity.describe(count)) == (one, many)


def test_every_default_type_has_natural_phrases():
    for activity in DEFAULT_CATALOG:
        assert activity.singular and activity.plural, activity.key


def test_describe_without_phrases_falls_back_to_the_label():
    assert ActivityType("webinar", "Webinar hosted", 30).describe(2) == "2 × Webinar hosted"
    assert ActivityType("gift", "Gift", 3, singular="gift").describe(2) == "2 gifts"


def test_config_overrides_points_and_keeps_the_rest():
    catalog = catalog_from_config([{"key": "call", "points": 2}])
    call = catalog.get("call")
    assert call.points == 2
    assert call.label == "Outbound call"
    assert "dials" in call.aliases
    assert catalog.get("demo_self_led") == DEFAULT_CATALOG.get("demo_self_led")


def test_config_extends_with_a_new_type_at_the_end():
    catalog = catalog_from_config(
        [{"key": "webinar", "points": 30, "aliases": ["webinar", "webinars"]}]
    )
    assert [activity.key for activity in catalog][-1] == "webinar"
    assert catalog.get("webinar").label == "Webinar"
    assert len(catalog.types) == len(DEFAULT_CATALOG.types) + 1


def test_config_replace_is_the_whole_catalog():
    catalog = catalog_from_config(
        [{"key": "call", "label": "Call", "points": 1, "aliases": ["call", "calls"]}],
        replace=True,
    )
    assert [activity.key for activity in catalog] == ["call"]
    assert catalog.get("demo_self_led") is None


def test_config_with_no_entries_leaves_the_base_alone():
    assert catalog_from_config([]) == DEFAULT_CATALOG


@pytest.mark.parametrize(
    ("activities", "replace", "message"),
    [
        ([{"label": "Call", "points": 1}], False, "Activity #1 has no `key`."),
        ([{"key": "call"}, {"points": 3}], False, "Activity #2 has no `key`."),
        (["call"], False, "Activity #1 must be a mapping"),
        ([{"key": "call", "points": 0}], False, "Activity `call`: points must be a whole number"),
        ([{"key": "call", "points": -5}], False, "Activity `call`: points must be a whole"),
        ([{"key": "call", "points": 2.5}], False, "Activity `call`: points must be a whole"),
        ([{"key": "call", "points": "5"}], False, "Activity `call`: points must be a whole"),
        ([{"key": "call", "points": True}], False, "Activity `call`: points must be a whole"),
        ([{"key": "webinar", "label": "Webinar"}], False, "Activity `webinar` needs `points`."),
        (
            [{"key": "webinar", "points": 30, "aliases": ["won"]}],
            False,
            "The name “won” is claimed by both `closed_won` and `webinar`.",
        ),
        (
            [{"key": "call", "aliases": ["Demo Self"]}],
            False,
            "The name “demo self” is claimed by both `call` and `demo_self_led`.",
        ),
        ([], True, "The activity catalog is empty"),
        ([{"key": "call", "pts": 2}], False, "Activity `call` has unknown setting(s): pts."),
        ([{"key": "call"}, {"key": "call"}], False, "Activity `call` appears twice"),
        ([{"key": "call", "aliases": "call"}], False, "Activity `call`: aliases must be a list"),
        ([{"key": "call", "aliases": ["--"]}], False, "Activity `call` has an empty alias"),
        ([{"key": "call", "label": " "}], False, "Activity `call` needs a label."),
    ],
)
def test_bad_config_is_a_one_line_error_naming_the_entry(activities, replace, message):
    with pytest.raises(ValueError) as raised:
        catalog_from_config(activities, replace=replace)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_config_must_be_a_list():
    with pytest.raises(ValueError, match="must be a list"):
        catalog_from_config({"key": "call"})  # type: ignore[arg-type]


def test_catalog_rejects_two_types_with_one_key():
    call = DEFAULT_CATALOG.get("call")
    with pytest.raises(ValueError, match="`call` is listed twice"):
        Catalog((call, call))
