"""One row of a file read into a contact, or the reasons it cannot be.

Every problem of a row is reported, not only the first, so one pass over
the file gives the whole list to fix.
"""

import datetime
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from outpost.clients.uic import UICParts, build_parts, parse_uic
from outpost.contacts.actions import MAX_LINE_QUANTITY, MAX_RETURNED
from outpost.core.errors import DomainError
from outpost.imports import columns as col
from outpost.imports.columns import Catalogue, Layout, Thing
from outpost.imports.reading import Cell
from outpost.orgs.models import Site

EARLIEST = datetime.date(2000, 1, 1)
# Fixed for ever: changing it would change every key and import files twice.
MAX_REF = 100
KEY_NAMESPACE = uuid.UUID("1ff9c282-0918-406a-a6e3-77cf405d55ac")

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_WHOLE = re.compile(r"[0-9]+")

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A row that can be saved as a contact."""

    line: int
    date: datetime.date
    site: Site
    channel: str
    parts: UICParts | None
    groups: frozenset[str]
    things: tuple[tuple[Thing, int], ...]
    service_ids: tuple[int, ...]
    syringes_returned: int
    # The file's own reference, which tells identical rows of two files apart.
    ref: str = ""

    def content(self) -> str:
        """The row's meaning in one string: the same visit typed another way gives the same."""
        things = ",".join(
            sorted(f"{thing.kind}{thing.pk}x{count}" for thing, count in self.things)
        )
        return "|".join(
            [
                self.date.isoformat(),
                str(self.site.pk),
                self.channel,
                self.parts.code if self.parts else "",
                things,
                ",".join(str(pk) for pk in sorted(self.service_ids)),
                str(self.syringes_returned),
                self.ref,
            ]
        )


def contact_key(org_id: int, content: str, occurrence: int) -> uuid.UUID:
    """The contact's idempotency key: the n-th identical row of a file is the n-th contact."""
    return uuid.uuid5(KEY_NAMESPACE, f"{org_id}|{content}|{occurrence}")


def parse_row(
    line: int, cells: list[Cell], layout: Layout, catalogue: Catalogue
) -> ContactRow | list[str]:
    """The contact a row describes, or every reason it cannot be saved."""
    errors: list[str] = []

    def cell(key: str) -> Cell:
        index = layout.fixed.get(key)
        return cells[index] if index is not None and index < len(cells) else ""

    if any(value != "" for value in cells[layout.width :]):
        errors.append(gettext("This row has more cells than there are column headings."))
    site = _try(errors, _site, cell(col.SITE), catalogue)
    today = (
        catalogue.local_today[site.pk]
        if site
        else max(catalogue.local_today.values(), default=datetime.date.max)
    )
    date = _try(errors, _date, cell(col.DATE), today)
    channel = _try(errors, _channel, cell(col.CHANNEL), site, catalogue)
    parts = _try(errors, _client, [cell(key) for key in (col.CODE, *col.PARTS)], date or today)
    groups = _try(errors, _groups, cell(col.GROUPS), catalogue, has_client=parts is not None)
    services = _try(errors, _services, cell(col.SERVICES), catalogue)
    returned = _try(errors, _returned, cell(col.RETURNED))
    things = _try(errors, _things, cells, layout)
    ref = _try(errors, _ref, cell(col.REF))
    if errors:
        return errors
    assert site and date and channel and groups is not None  # noqa: S101 — no errors above
    assert services is not None and returned is not None and things is not None  # noqa: S101
    assert ref is not None  # noqa: S101
    return ContactRow(line, date, site, channel, parts, groups, things, services, returned, ref)


def _try(errors: list[str], parse: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    try:
        return parse(*args, **kwargs)
    except DomainError as error:
        errors.append(error.message)
    except ValidationError as error:
        errors.extend(error.messages)
    return None


def _ref(value: Cell) -> str:
    ref = str(value).strip()
    if len(ref) > MAX_REF:
        raise DomainError(
            gettext("The reference is longer than %(max)d characters.") % {"max": MAX_REF}
        )
    return ref


def _site(value: Cell, catalogue: Catalogue) -> Site:
    if value == "":
        raise DomainError(gettext("The site is missing."))
    site = catalogue.sites.get(col.fold(str(value)))
    if site is None:
        raise DomainError(gettext("There is no site “%(name)s” here.") % {"name": value})
    return site


def _date(value: Cell, today: datetime.date) -> datetime.date:
    if value == "":
        raise DomainError(gettext("The date is missing."))
    date = read_date(value)
    if date is None:
        raise DomainError(
            gettext("“%(value)s” is not a date: write it as YYYY-MM-DD or DD.MM.YYYY.")
            % {"value": value}
        )
    if date > today:
        raise DomainError(gettext("The date %(date)s is in the future.") % {"date": date})
    if date < EARLIEST:
        raise DomainError(gettext("The date %(date)s is before 2000.") % {"date": date})
    return date


def read_date(value: Cell) -> datetime.date | None:
    """A date cell, or text as YYYY-MM-DD or DD.MM.YYYY; None if it is neither."""
    if isinstance(value, datetime.date):
        return value
    iso = _ISO.fullmatch(value)
    dotted = _DOTTED.fullmatch(value)
    try:
        if iso:
            return datetime.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if dotted:
            return datetime.date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
    except ValueError:
        return None
    return None


def _channel(value: Cell, site: Site | None, catalogue: Catalogue) -> str | None:
    if value == "":
        return site.default_channel if site else None
    channel = catalogue.channels.get(col.fold(str(value)))
    if channel is None:
        raise DomainError(gettext("“%(value)s” is not a channel.") % {"value": value})
    return channel


def _client(cells: list[Cell], today: datetime.date) -> UICParts | None:
    """The client's code from the code column, its parts, or both if they agree."""
    code, mother, father, sex, birth = cells
    from_code = parse_uic(str(code), today=today) if code != "" else None
    if mother == father == sex == birth == "":
        return from_code
    if sex == "" or birth == "":
        raise DomainError(
            gettext("The sex and the date of birth are both needed to build the code.")
        )
    birth_date = read_date(birth)
    if birth_date is None:
        raise DomainError(
            gettext("“%(value)s” is not a date of birth: write it as YYYY-MM-DD or DD.MM.YYYY.")
            % {"value": birth}
        )
    from_parts = build_parts(
        str(mother) or None, str(father) or None, str(sex), birth_date, today=today
    )
    if from_code is not None and from_code.code != from_parts.code:
        raise DomainError(
            gettext("The code %(code)s does not match its parts, which give %(parts)s.")
            % {"code": from_code.code, "parts": from_parts.code}
        )
    return from_parts


def _names(value: Cell) -> list[str]:
    return [name.strip() for name in str(value).split(";") if name.strip()]


def _groups(value: Cell, catalogue: Catalogue, *, has_client: bool) -> frozenset[str]:
    names = _names(value)
    if names and not has_client:
        raise DomainError(gettext("Groups need a client: give the code or its parts."))
    unknown = [name for name in names if col.fold(name) not in catalogue.groups]
    if unknown:
        raise DomainError(
            gettext("“%(value)s” is not a population group.") % {"value": "; ".join(unknown)}
        )
    return frozenset(catalogue.groups[col.fold(name)] for name in names)


def _services(value: Cell, catalogue: Catalogue) -> tuple[int, ...]:
    names = _names(value)
    unknown = [name for name in names if col.fold(name) not in catalogue.services]
    if unknown:
        raise DomainError(
            gettext("“%(value)s” is not a service of the catalogue.")
            % {"value": "; ".join(unknown)}
        )
    return tuple(sorted({catalogue.services[col.fold(name)] for name in names}))


def _whole(value: Cell, most: int) -> int | None:
    """A whole number from 0 to ``most``; None if the cell is anything else."""
    if value == "":
        return 0
    if isinstance(value, datetime.date) or not _WHOLE.fullmatch(value):
        return None
    number = int(value)
    return number if number <= most else None


def _returned(value: Cell) -> int:
    number = _whole(value, MAX_RETURNED)
    if number is None:
        raise DomainError(
            gettext(
                "Used syringes returned must be a whole number from 0 to %(max)d, not “%(value)s”."
            )
            % {"max": MAX_RETURNED, "value": value}
        )
    return number


def _things(cells: list[Cell], layout: Layout) -> tuple[tuple[Thing, int], ...]:
    counts: list[tuple[Thing, int]] = []
    wrong: list[str] = []
    for index, thing in layout.things:
        value = cells[index] if index < len(cells) else ""
        number = _whole(value, MAX_LINE_QUANTITY)
        if number is None:
            wrong.append(
                gettext(
                    "“%(value)s” in the column “%(column)s” is not a quantity from 0 to %(max)d."
                )
                % {"value": value, "column": layout.headers[index], "max": MAX_LINE_QUANTITY}
            )
        elif number:
            counts.append((thing, number))
    if wrong:
        raise DomainError(" ".join(wrong))
    return tuple(counts)
