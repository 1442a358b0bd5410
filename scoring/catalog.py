"""The activities a rep can log and what each is worth.

Teams tune the SOP table in config, so the catalog is data: `catalog_from_config`
checks it once at start-up and says which entry is wrong, in one line.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from dataclasses import replace as with_changes
from functools import cached_property

CLOSED_WON = "closed_won"  # the deals: their amounts fill the sheet, and they are celebrated

# Words are runs of letters and digits, so "self-led", "self_led" and "Self Led" all read alike;
# an apostrophe stays inside a word so that "won't" is not "won". Slack escapes "&<>" as
# entities before we see the text; an entity is a separator, not a word.
_WORD = re.compile(r"&(?:amp|lt|gt);|([^\W_]+(?:['’][^\W_]+)*)")


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Each word of `text` casefolded, with where it sits, so callers can cut the original."""
    return [(m.group(1).casefold(), m.start(), m.end()) for m in _WORD.finditer(text) if m.group(1)]


def words(text: str) -> tuple[str, ...]:
    """The words that identify a name: case, hyphens, underscores and spacing don't matter."""
    return tuple(word for word, _, _ in word_spans(text))


@dataclass(frozen=True)
class ActivityType:
    """One row of the SOP table."""

    key: str
    label: str
    points: int
    aliases: tuple[str, ...] = ()
    singular: str = ""
    plural: str = ""
    suggest: bool = True  # whether pace suggestions may ask for more of it
    retired: bool = False  # no longer loggable; past entries keep its label and column

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not words(self.key):
            raise ValueError(f"Activity key {self.key!r} must be a non-empty name.")
        if not isinstance(self.label, str) or not self.label.strip():
            raise ValueError(f"Activity `{self.key}` needs a label.")
        if type(self.points) is not int or self.points <= 0:
            raise ValueError(
                f"Activity `{self.key}`: points must be a whole number above 0, "
                f"not {self.points!r}."
            )
        if not isinstance(self.singular, str) or not isinstance(self.plural, str):
            raise ValueError(f"Activity `{self.key}`: singular and plural must be text.")
        if not isinstance(self.suggest, bool):
            raise ValueError(f"Activity `{self.key}`: suggest must be true or false.")
        if not isinstance(self.retired, bool):
            raise ValueError(f"Activity `{self.key}`: retired must be true or false.")
        if not isinstance(self.aliases, tuple):
            raise ValueError(f"Activity `{self.key}`: aliases must be a tuple of names.")
        for alias in self.aliases:
            if not isinstance(alias, str) or not words(alias):
                raise ValueError(f"Activity `{self.key}` has an empty alias {alias!r}.")

    @cached_property
    def names(self) -> tuple[tuple[str, ...], ...]:
        """Everything a rep may type for this activity: its aliases, key and label (worked out
        once: every /log matches against all of them)."""
        return tuple(dict.fromkeys(words(n) for n in (*self.aliases, self.key, self.label)))

    def describe(self, count: int) -> str:
        """`count` of this activity as a rep would say it: "1 self-led demo", "2 self-led demos"."""
        if not self.singular:
            return f"{count} × {self.label}"
        noun = self.singular if count == 1 else self.plural or f"{self.singular}s"
        return f"{count} {noun}"


@dataclass(frozen=True)
class Catalog:
    """The activity types in display order; no two loggable types may answer to the same name.

    Iterating gives what a rep can log today; `every` adds retired types, whose entries still
    show in past weeks and in the sheet."""

    types: tuple[ActivityType, ...]
    _by_key: dict[str, ActivityType] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not any(not activity.retired for activity in self.types):
            raise ValueError("The activity catalog is empty: list at least one activity.")
        by_key: dict[str, ActivityType] = {}
        owner: dict[tuple[str, ...], str] = {}
        for activity in self.types:
            if activity.key in by_key:
                raise ValueError(f"Activity `{activity.key}` is listed twice.")
            by_key[activity.key] = activity
            for name in () if activity.retired else activity.names:
                other = owner.setdefault(name, activity.key)
                if other != activity.key:
                    raise ValueError(
                        f"The name “{' '.join(name)}” is claimed by both `{other}` "
                        f"and `{activity.key}`."
                    )
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_hash", hash(self.types))

    def __hash__(self) -> int:
        """Worked out once: every /log looks its catalog up in a cache (the parser's names,
        a team's rules), and hashing a dozen activities field by field each time costs more
        than the lookup saves."""
        return self._hash

    @cached_property
    def by_name(self) -> dict[tuple[str, ...], ActivityType]:
        return {name: activity for activity in self for name in activity.names}

    def get(self, key: str) -> ActivityType | None:
        return self._by_key.get(key)

    @cached_property
    def labels(self) -> dict[str, str]:
        """Each key's label, retired ones too: what a tally's lines are named by."""
        return {key: activity.label for key, activity in self._by_key.items()}

    @property
    def every(self) -> tuple[ActivityType, ...]:
        return self.types

    @cached_property
    def _loggable(self) -> tuple[ActivityType, ...]:
        return tuple(activity for activity in self.types if not activity.retired)

    def __iter__(self) -> Iterator[ActivityType]:
        """Worked out once: every receipt's suggestion walks the catalog several times."""
        return iter(self._loggable)


def _sop(
    key: str, label: str, points: int, phrases: str, aliases: str, suggest: bool = True
) -> ActivityType:
    """A row of the SOP table; `phrases` is "singular / plural", `aliases` comma-separated."""
    singular, plural = phrases.split(" / ")
    names = tuple(alias.strip() for alias in aliases.split(","))
    return ActivityType(key, label, points, names, singular, plural, suggest)


DEFAULT_CATALOG = Catalog(
    (
        _sop(
            "call",
            "Outbound call",
            1,
            "call / calls",
            "call, calls, dial, dials, cold call, cold calls, phone call, phone calls",
        ),
        _sop("email", "Outbound email", 1, "email / emails", "email, emails, e-mail"),
        _sop(
            "dm_conversation",
            "Decision-maker conversation",
            5,
            "DM conversation / DM conversations",
            "dm convo, dm convos, dm conversation, dm conversations, "
            "decision maker conversation, decision maker conversations",
        ),
        _sop(
            "dm_connection",
            "Decision-maker connection",
            5,
            "DM connection / DM connections",
            "dm connection, dm connections, linkedin, linkedin connect, linkedin connection, "
            "linkedin connections, connection, connections, decision maker connection",
        ),
        _sop(
            "meeting_booked",
            "Meeting booked",
            10,
            "meeting booked / meetings booked",
            "meeting, meetings, meeting booked, meetings booked",
        ),
        _sop(
            "discovery_self_led",
            "Discovery – self-led",
            25,
            "self-led discovery / self-led discoveries",
            "disco self-led, disco self, discovery self-led, discovery self, "
            "self-led discovery, self-led disco",
        ),
        _sop(
            "discovery_mentor_led",
            "Discovery – mentor-led",
            20,
            "mentor-led discovery / mentor-led discoveries",
            "disco mentor-led, disco mentor, discovery mentor-led, discovery mentor, "
            "mentor-led discovery, mentor-led disco",
        ),
        _sop(
            "demo_shadow",
            "Demo – peer/mentor shadow",
            15,
            "demo shadow / demo shadows",
            "shadow, shadows, demo shadow, demo shadows, shadow demo",
        ),
        _sop(
            "demo_meeting_booked",
            "Demo meeting booked",
            10,
            "demo booked / demos booked",
            "demo booked, demos booked, demo meeting, demo meeting booked, booked demo",
        ),
        _sop(
            "demo_self_led",
            "Demo – self-led",
            25,
            "self-led demo / self-led demos",
            "demo self, demo self-led, self-led demo, self-led demos",
        ),
        _sop(
            "demo_mentor_led",
            "Demo – mentor-led",
            20,
            "mentor-led demo / mentor-led demos",
            "demo mentor, demo mentor-led, mentor-led demo, mentor-led demos",
        ),
        _sop(
            "closed_won",
            "Closed-won",
            25,
            "closed-won deal / closed-won deals",
            "closed won, cw, deal, deal won, won, closed deal",
            suggest=False,  # an outcome, not something a rep can simply go and do
        ),
    )
)

_FIELDS = {f.name for f in fields(ActivityType)}


def catalog_from_config(
    activities: list[dict], replace: bool = False, base: Catalog = DEFAULT_CATALOG
) -> Catalog:
    """Build the team's catalog from config entries: overrides of `base` by key, or the whole list.

    An entry names a `key` and may set `label`, `points`, `aliases`, `singular`, `plural` and
    `suggest`; given `aliases` replace the base ones (the key and label always work too).
    """
    if not isinstance(activities, list):
        raise ValueError("The activities config must be a list of entries.")
    types = {} if replace else {activity.key: activity for activity in base}
    seen: set[str] = set()
    for position, entry in enumerate(activities, start=1):
        key = _entry_key(entry, position)
        if key in seen:
            raise ValueError(f"Activity `{key}` appears twice in the config.")
        seen.add(key)
        types[key] = _entry_activity(entry, types.get(key))
    return Catalog(tuple(types.values()))


def _entry_key(entry: object, position: int) -> str:
    if not isinstance(entry, dict):
        raise ValueError(f"Activity #{position} must be a mapping with a `key`, not {entry!r}.")
    key = entry.get("key")
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"Activity #{position} has no `key`.")
    return key.strip()


def _entry_activity(entry: dict, current: ActivityType | None) -> ActivityType:
    key = entry["key"].strip()
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise ValueError(f"Activity `{key}` has unknown setting(s): {', '.join(unknown)}.")
    if current is None and "points" not in entry:
        raise ValueError(f"Activity `{key}` needs `points`.")
    changes = {name: value for name, value in entry.items() if name != "key"}
    if "aliases" in changes:
        aliases = changes["aliases"]
        if not isinstance(aliases, list | tuple) or not all(isinstance(a, str) for a in aliases):
            raise ValueError(f"Activity `{key}`: aliases must be a list of names.")
        changes["aliases"] = tuple(aliases)
    if current is None:
        label = changes.pop("label", key.replace("_", " ").capitalize())
        return ActivityType(key=key, label=label, **changes)
    return with_changes(current, **changes)
