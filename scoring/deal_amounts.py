"""Deal amounts as reps type them — `$12,500`, `€9k`, `9,000 GBP`, `CAD 12.5k` — in whole cents.

Amounts go up to MAX_AMOUNT: that keeps every accepted amount exact in the NUMERIC(14, 2)
column on PostgreSQL and through SQLite's float, and far above any real deal.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext

from scoring.log_text import LogParseError, quoted, without

MAX_AMOUNT = Decimal("10000000000")
CENTS = Decimal("0.01")
DEFAULT_CURRENCY = "USD"
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
CODES = ("USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "SGD", "HKD")
_PREFIX = {code: symbol for symbol, code in SYMBOLS.items()}
_SCALES = {"": 0, "k": 3, "m": 6}
_MAX_DIGITS = len(str(int(MAX_AMOUNT)))

_NUMBER = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
_CODE = "|".join(CODES)
_SYMBOL = "[" + re.escape("".join(SYMBOLS)) + "]"
_FORMS = (
    rf"(?P<symbol>{_SYMBOL})\s?(?P<n1>{_NUMBER})\s?(?P<s1>[km])?(?:\s?(?P<c1>{_CODE}))?",
    rf"(?P<n2>{_NUMBER})\s?(?P<s2>[km])?\s?(?P<c2>{_CODE})",
    rf"(?P<c3>{_CODE})\s?(?P<n3>{_NUMBER})\s?(?P<s3>[km])?",
)
_IN_TEXT = re.compile(rf"(?<![^\s(])(?:{'|'.join(_FORMS)})(?=$|[\s.,;:!?)])", re.IGNORECASE)
_PLAIN = rf"(?P<n4>{_NUMBER})\s?(?P<s4>[km])?"
_FIELD = re.compile(rf"{'|'.join(_FORMS)}|{_PLAIN}", re.IGNORECASE)


@dataclass(frozen=True)
class DealAmount:
    """An exact amount in whole cents and its ISO 4217 currency."""

    value: Decimal
    currency: str

    def __str__(self) -> str:
        return format_amount(self.value, self.currency)


def format_amount(value: Decimal, currency: str | None) -> str:
    """`$12,500`, `€9,000.50`, `12,500 CAD`: as a rep would write it back."""
    currency = currency or DEFAULT_CURRENCY
    number = f"{value:,.2f}".removesuffix(".00")
    symbol = _PREFIX.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


def take_amount(text: str) -> tuple[str, DealAmount | None]:
    """A deal amount anywhere in the text, and the text without it."""
    found = list(_IN_TEXT.finditer(text))
    if not found:
        return text, None
    if len(found) > 1:
        shown = " and ".join(quoted(match.group(0)) for match in found[:3])
        raise LogParseError(f"I see more than one amount ({shown}) — which one was it?")
    match = found[0]
    amount = _from_match(match)
    return without(text, match.start(), match.end()), amount


def parse_amount(text: str) -> DealAmount:
    """A deal amount typed on its own, as in the log modal: `12500`, `€12,500`, `12.5k GBP`."""
    typed = text.strip()
    match = _FIELD.fullmatch(typed)
    if not match:
        raise LogParseError(f"“{quoted(typed)}” isn't an amount; write it like $12,500.")
    return _from_match(match)


def _from_match(match: re.Match[str]) -> DealAmount:
    groups = match.groupdict()
    form = next(n for n in "1234" if groups.get(f"n{n}") is not None)
    symbol_currency = SYMBOLS.get(groups.get("symbol") or "")
    code = (groups.get(f"c{form}") or "").upper() or None
    if symbol_currency and code and symbol_currency != code:
        raise LogParseError(
            f"“{quoted(match.group(0))}” names two currencies ({symbol_currency} and {code})"
            " — which one was it?"
        )
    currency = symbol_currency or code or DEFAULT_CURRENCY
    scale = (groups.get(f"s{form}") or "").lower()
    return DealAmount(_value(groups[f"n{form}"], scale, currency, match.group(0)), currency)


def _value(number: str, scale: str, currency: str, typed: str) -> Decimal:
    """The exact amount, refused with the reason when it is zero, too big or finer than cents."""
    digits = number.replace(",", "")
    whole, _, fraction = digits.partition(".")
    if len(whole.lstrip("0")) > _MAX_DIGITS:
        raise _too_big(currency, typed)
    with localcontext() as exact:
        exact.prec = len(digits) + 8  # room for every digit: nothing is rounded away
        value = Decimal(digits).scaleb(_SCALES[scale])
    if value <= 0:
        raise LogParseError(
            f"A deal amount has to be more than {format_amount(Decimal(0), currency)}."
        )
    if value > MAX_AMOUNT:
        raise _too_big(currency, typed)
    if (not scale and len(fraction) > 2) or value != value.quantize(CENTS):
        example = format_amount(Decimal("12500.50"), currency)
        raise LogParseError(
            f"Deal amounts are in whole cents, like {example}; “{quoted(typed)}” has more"
            " decimals than that."
        )
    return value.quantize(Decimal(1) if value == value.to_integral() else CENTS)


def _too_big(currency: str, typed: str) -> LogParseError:
    limit = format_amount(MAX_AMOUNT, currency)
    return LogParseError(f"Deal amounts go up to {limit}; “{quoted(typed)}” is more than that.")
