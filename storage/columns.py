"""Column types that behave the same on SQLite and PostgreSQL."""

import logging
from datetime import UTC, datetime
from decimal import Decimal

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

log = logging.getLogger(__name__)

CENTS = Decimal("0.01")
MONEY_LIMIT = Decimal("1e12")  # NUMERIC(14, 2) holds 12 digits before the point


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """NUMERIC(14, 2) that returns exact Decimals on SQLite too, and refuses what it can't keep.

    SQLite stores numerics as floats; 14 significant digits survive the round trip through
    the float's shortest repr, so quantizing that repr gives back the exact amount. Beyond 14
    digits, or finer than a cent, a value would be rounded (SQLite, and PostgreSQL for cents)
    or refused mid-transaction (PostgreSQL): it is refused here, the same on both.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[object]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(14, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(14, 2))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        value = Decimal(value)
        if not value.is_finite() or abs(value) >= MONEY_LIMIT:
            raise ValueError(f"{value} does not fit NUMERIC(14, 2)")
        cents = value.quantize(CENTS)
        if cents != value:
            raise ValueError(f"{value} is finer than a cent")
        return cents

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(CENTS)


SEALED_PREFIX = "gAAAAA"  # how every Fernet token begins (version byte 0x80, then a timestamp)


class SealedText(TypeDecorator[str]):
    """Text sealed with `sealer` on the way in and opened on the way out.

    Text stored before a key was set (a plain token) reads as it is and is sealed the next time
    it is written. Sealed text that this key can't open, or any sealed text when no key is set,
    reads as None (logged), as if nothing were stored: the workspace must be installed again,
    and nothing fails mid-request.
    """

    impl = String(400)
    cache_ok = True

    def __init__(self, sealer: MultiFernet | None) -> None:
        super().__init__()
        self.sealer = sealer

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or self.sealer is None:
            return value
        return self.sealer.encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(SEALED_PREFIX):
            return value
        if self.sealer is None:
            log.error("a token is stored sealed but TALLY_SECRET_KEY is not set")
            return None
        try:
            return self.sealer.decrypt(value.encode()).decode()
        except InvalidToken:
            log.error("a sealed token does not open with TALLY_SECRET_KEY")
            return None
