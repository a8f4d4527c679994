{% include "header.py" %}
"""Value types with the contract's JSON Schema semantics.

Pydantic's default ("lax") mode would accept "1965" for an integer or 1 for a boolean; the
contract does not. These types accept exactly the JSON values their schema allows (an
integer also as a whole float such as 2099.0, as JSON Schema says) and store them in the
form the database column expects.
"""

import datetime
import decimal
import math
import re
import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from annotated_types import Ge, Le
from pydantic import AllowInfNan, BeforeValidator, StrictBool, StrictStr

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: Column type of integer keys: BIGINT, but INTEGER on SQLite (its auto-increment key).
BIG_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValueError("must be an integer")
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("must fit in 64 bits")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        raise ValueError("must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def _decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        raise ValueError("must be a number")
    number = decimal.Decimal(str(value))
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("must be a date (YYYY-MM-DD)")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a valid calendar date") from None


def utc(value: datetime.datetime) -> datetime.datetime:
    """`value` in UTC without tzinfo, the form date-times are stored in."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def _datetime(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return utc(value)
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise ValueError("must be an RFC 3339 date-time with an offset")
    try:
        return utc(
            datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        )
    except (ValueError, OverflowError):
        raise ValueError("must be a valid date-time") from None


def _time(value: Any) -> str:
    if not isinstance(value, str) or not _TIME.match(value):
        raise ValueError("must be a time of day (HH:MM:SS, optional offset)")
    try:
        datetime.time.fromisoformat(value[:8])
    except ValueError:
        raise ValueError("must be a valid time of day") from None
    return value


def _email(value: Any) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise ValueError("must be an e-mail address")
    return value


def _url(value: Any) -> str:
    if not isinstance(value, str) or not _URI.match(value):
        raise ValueError("must be an absolute URI")
    return value


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not _UUID.match(value):
        raise ValueError("must be a UUID (8-4-4-4-12 hex digits)")
    return uuid.UUID(value)


def _object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value


Text = StrictStr
Boolean = StrictBool
Integer = Annotated[int, BeforeValidator(_integer)]
Number = Annotated[float, BeforeValidator(_number)]
Decimal = Annotated[decimal.Decimal, BeforeValidator(_decimal)]
Date = Annotated[datetime.date, BeforeValidator(_date)]
DateTime = Annotated[datetime.datetime, BeforeValidator(_datetime)]
Time = Annotated[str, BeforeValidator(_time)]
Email = Annotated[str, BeforeValidator(_email)]
Url = Annotated[str, BeforeValidator(_url)]
Uuid = Annotated[uuid.UUID, BeforeValidator(_uuid)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(_object)]


def _boolean_text(value: Any) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("must be true or false")


#: Optional query-string filters: the text of a query parameter must spell a value of
#: the parameter's schema (`true`/`false` only, dates as YYYY-MM-DD, …).
QueryText = str | None
QueryInteger = Annotated[int | None, Ge(INT64_MIN), Le(INT64_MAX)]
QueryNumber = Annotated[float | None, AllowInfNan(False)]
QueryDecimal = Annotated[decimal.Decimal | None, AllowInfNan(False)]
QueryBoolean = Annotated[bool | None, BeforeValidator(_boolean_text)]
QueryDate = Annotated[datetime.date | None, BeforeValidator(_date)]
QueryDateTime = Annotated[datetime.datetime | None, BeforeValidator(_datetime)]
QueryTime = Annotated[str | None, BeforeValidator(_time)]
QueryEmail = Annotated[str | None, BeforeValidator(_email)]
QueryUrl = Annotated[str | None, BeforeValidator(_url)]
QueryUuid = Annotated[uuid.UUID | None, BeforeValidator(_uuid)]


def dump_decimal(value: decimal.Decimal | None) -> float | int | None:
    """A stored decimal as a JSON number."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def dump_date(value: datetime.date | None) -> str | None:
    """A stored date as `YYYY-MM-DD`."""
    return None if value is None else value.isoformat()


def dump_datetime(value: datetime.datetime | None) -> str | None:
    """A stored (UTC) date-time as RFC 3339 with `Z`."""
    if value is None:
        return None
    return utc(value).isoformat() + "Z"


def dump_uuid(value: uuid.UUID | None) -> str | None:
    """A UUID as its canonical string."""
    return None if value is None else str(value)
