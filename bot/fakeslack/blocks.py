"""Block Kit as Slack reports it back: generated ids, `state.values`, and `actions` entries.

Shared by the fake Web API (views come back with ids filled in) and by `SignedSlack` (which
fills views and clicks elements the way a user's Slack client would).
"""

import copy
import secrets
from collections.abc import Iterator
from typing import Any

# The key under which Slack reports each stateful element's value, and the key an app uses to
# pre-fill it (which Slack reports back when the user leaves the element untouched).
_STATE_KEYS = {
    "static_select": ("selected_option", "initial_option"),
    "plain_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "datepicker": ("selected_date", "initial_date"),
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_static_select": ("selected_options", "initial_options"),
}


def with_generated_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy `blocks`, naming blocks and stateful elements the app left unnamed, as Slack does."""
    filled = copy.deepcopy(blocks)
    for block in filled:
        block.setdefault("block_id", secrets.token_hex(2))
        for element in _elements(block):
            if element.get("type") in _STATE_KEYS:
                element.setdefault("action_id", secrets.token_hex(3))
    return filled


def fill_state(blocks: list[dict[str, Any]], values: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Build `state.values` for a user who set each action_id in `values` and touched nothing else.

    Raises ValueError where Slack's client would refuse: an unknown action_id, or a required
    input left empty.
    """
    unused = dict(values)
    state: dict[str, dict[str, Any]] = {}
    for block in blocks:
        for element in _elements(block):
            if element.get("type") not in _STATE_KEYS:
                continue
            chosen = unused.pop(element["action_id"], None)
            element_state = state_of(element, chosen)
            required = block["type"] == "input" and not block.get("optional", False)
            if required and element_state[_STATE_KEYS[element["type"]][0]] is None:
                raise ValueError(
                    f"required input {element['action_id']!r} left empty; "
                    "Slack would not let the user submit"
                )
            state.setdefault(block["block_id"], {})[element["action_id"]] = element_state
    if unused:
        raise ValueError(f"no stateful element with action_id {sorted(unused)} in the view")
    return state


def action_payload(
    blocks: list[dict[str, Any]], action_id: str, value: str, block_id: str | None, action_ts: str
) -> dict[str, Any]:
    """Describe a click or pick on `action_id` as one entry of a block_actions `actions` list.

    An element missing from `blocks` is reported as a button, the common case in messages.
    """
    for block in blocks:
        for element in _elements(block):
            if element.get("action_id") != action_id:
                continue
            found_block_id = block_id or block.get("block_id", "b")
            base = {"action_id": action_id, "block_id": found_block_id, "action_ts": action_ts}
            if element.get("type") in _STATE_KEYS:
                return base | state_of(element, value)
            return base | {
                "type": element.get("type", "button"),
                "text": element.get("text"),
                "value": value,
            }
    text = {"type": "plain_text", "text": value, "emoji": True}
    return {
        "action_id": action_id,
        "block_id": block_id or "b",
        "action_ts": action_ts,
        "type": "button",
        "text": text,
        "value": value,
    }


def state_of(element: dict[str, Any], chosen: str | None) -> dict[str, Any]:
    """One element's state: what the user chose, else what the app pre-filled, else null."""
    state_key, initial_key = _STATE_KEYS[element["type"]]
    if chosen is None:
        return {"type": element["type"], state_key: element.get(initial_key)}
    if state_key == "selected_option":
        return {"type": element["type"], state_key: _option(element, chosen)}
    if state_key == "selected_options":  # `chosen` is comma-separated; "" clears them all
        picked = [_option(element, value) for value in chosen.split(",") if value]
        return {"type": element["type"], state_key: picked}
    if chosen == "" and state_key != "value":
        return {"type": element["type"], state_key: None}  # a select the user cleared
    return {"type": element["type"], state_key: chosen}


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    """The option of a select whose value is `value`, searching option groups too."""
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    for option in options:
        if option.get("value") == value:
            return copy.deepcopy(option)
    offered = [option.get("value") for option in options]
    action_id = element.get("action_id")
    raise ValueError(f"{action_id!r} offers no option {value!r}; it offers {offered}")


def _elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The interactive elements a block holds, wherever its type keeps them."""
    if block.get("type") == "input" and "element" in block:
        yield block["element"]
    elif block.get("type") == "section" and "accessory" in block:
        yield block["accessory"]
    elif block.get("type") == "actions":
        yield from block.get("elements", [])
