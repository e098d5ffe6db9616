"""The anonymous client code (UIC), scheme ``parents-dob`` (SPEC section 1).

Pure functions: no database and no models, so forms, the API, the bot and
commands all build, read and compare codes the same way.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext

SEX_CODES = ("1", "2", "3")
UNKNOWN = "99"

_YOUNGEST_AGE = 10
_OLDEST_AGE = 100
_CODE_LENGTH = 13

# SPEC 1.2 step 4: one table for Ukrainian and Russian spellings, so that
# Олена/Елена-style variants of the same name give the same letters. Keys are
# NFC capitals: Й, Ё and Ї are single code points here, which is why the
# table is consulted before any decomposition.
_CYRILLIC_TO_LATIN: dict[str, str] = {
    "А": "A",
    "Б": "B",
    "В": "V",
    "Г": "G",
    "Ґ": "G",
    "Д": "D",
    "Е": "E",
    "Є": "E",
    "Ё": "E",
    "Э": "E",
    "Ж": "Z",
    "З": "Z",
    "И": "I",
    "І": "I",
    "Ї": "I",
    "Ы": "I",
    "Й": "I",
    "К": "K",
    "Л": "L",
    "М": "M",
    "Н": "N",
    "О": "O",
    "П": "P",
    "Р": "R",
    "С": "S",
    "Т": "T",
    "У": "U",
    "Ф": "F",
    "Х": "H",
    "Ц": "C",
    "Ч": "C",
    "Ш": "S",
    "Щ": "S",
    "Ю": "U",
    "Я": "A",
}

# SPEC 1.2 step 2: the soft and hard signs carry no sound of their own and
# are often left out when a name is spelled aloud.
_DROPPED_SIGNS = frozenset("ЬЪ")

_ASCII_CAPITALS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class UICParts:
    """The parts of a code, stored beside it so matching needs no parsing."""

    mother: str
    father: str
    sex: str
    birth_date: datetime.date

    @property
    def code(self) -> str:
        """Return the 13-character code, MMFFS + DDMMYYYY."""
        date = self.birth_date
        # Explicit padding, because strftime("%Y") does not pad years below
        # 1000 on every platform.
        return f"{self.mother}{self.father}{self.sex}{date.day:02d}{date.month:02d}{date.year:04d}"

    @property
    def letters(self) -> str:
        """Return the four letter positions, mother's then father's."""
        return self.mother + self.father


def _invalid_letter(letter: str) -> ValidationError:
    return ValidationError(
        gettext(
            "The letter “%(letter)s” cannot be used in a code. Type the name "
            "in Ukrainian, Russian or Latin letters."
        ),
        code="invalid_letter",
        params={"letter": letter},
    )


def _is_latin(letter: str) -> bool:
    name = unicodedata.name(letter, "")
    return name.startswith(("LATIN ", "FULLWIDTH LATIN "))


def _fold_letter(letter: str, *, typed: str) -> str:
    """Map one NFC capital letter to A-Z (SPEC 1.2 step 4).

    ``typed`` is the character as the user entered it, so that an error
    names what is on their screen rather than its upper-case form.
    """
    if letter in _ASCII_CAPITALS:
        return letter
    cyrillic = _CYRILLIC_TO_LATIN.get(letter)
    if cyrillic is not None:
        return cyrillic
    # Only Latin letters lose their diacritics: stripping a Cyrillic Ў to У
    # or a Greek Ά to Α would silently accept letters outside the table.
    if _is_latin(letter):
        base = "".join(
            char
            for char in unicodedata.normalize("NFKD", letter)
            if not unicodedata.combining(char)
        ).upper()
        if base in _ASCII_CAPITALS:
            return base
    raise _invalid_letter(typed)


def _is_name_letter(char: str) -> bool:
    category = unicodedata.category(char)
    # Modifier letters (Lm) include the apostrophe ʼ (U+02BC) that Ukrainian
    # spelling uses, as in Мар'яна, and the turned comma ʻ; they are
    # punctuation to a person spelling a name, not letters.
    if not category.startswith("L") or category == "Lm":
        return False
    return char not in _DROPPED_SIGNS


def fold_name(name: str | None) -> str:
    """Fold a parent's first name into its two code letters (SPEC 1.2).

    Return ``"99"`` when the name is unknown or has no letters, and the
    letter followed by ``9`` when it has only one. Only the two letters
    taken are checked, so a rare letter later in a name does not block a
    code that can be built.
    """
    if name is None:
        return UNKNOWN
    letters: list[tuple[str, str]] = []
    for typed in unicodedata.normalize("NFC", name).strip():
        # Upper-casing one character can give several (ß gives SS).
        for capital in typed.upper():
            if _is_name_letter(capital):
                letters.append((capital, typed))
    folded = "".join(_fold_letter(capital, typed=typed) for capital, typed in letters[:2])
    return (folded + UNKNOWN)[:2]


def _check_sex(sex: str) -> None:
    if sex not in SEX_CODES:
        raise ValidationError(
            gettext(
                "The sex must be 1 (male), 2 (female) or 3 (other or not stated), not “%(sex)s”."
            ),
            code="invalid_sex",
            params={"sex": sex},
        )


def age_on(birth_date: datetime.date, today: datetime.date) -> int:
    """Return the age in whole years; a birthday counts from its own day."""
    before_birthday = (today.month, today.day) < (
        birth_date.month,
        birth_date.day,
    )
    return today.year - birth_date.year - int(before_birthday)


def _check_birth_date(birth_date: datetime.date, today: datetime.date | None) -> None:
    # A datetime is a date subclass; accepting one would let a time zone
    # shift the day and so the code.
    if isinstance(birth_date, datetime.datetime) or not isinstance(birth_date, datetime.date):
        raise ValidationError(
            gettext("The date of birth must be a date without a time."),
            code="invalid_birth_date",
        )
    if today is None:
        # Callers that know the site's time zone pass today's local date;
        # this default only serves scripts and the shell.
        today = datetime.date.today()  # noqa: DTZ011
    if birth_date > today:
        raise ValidationError(
            gettext("The date of birth cannot be in the future."),
            code="birth_date_in_future",
        )
    age = age_on(birth_date, today)
    if not _YOUNGEST_AGE <= age <= _OLDEST_AGE:
        raise ValidationError(
            gettext(
                "The client must be between %(youngest)d and %(oldest)d years "
                "old on the day of registration; this date of birth gives "
                "%(age)d."
            ),
            code="age_out_of_range",
            params={"youngest": _YOUNGEST_AGE, "oldest": _OLDEST_AGE, "age": age},
        )


def build_parts(
    mother: str | None,
    father: str | None,
    sex: str,
    birth_date: datetime.date,
    *,
    today: datetime.date | None = None,
) -> UICParts:
    """Build and validate the parts of a code from a client's answers."""
    mother_part = fold_name(mother)
    father_part = fold_name(father)
    _check_sex(sex)
    _check_birth_date(birth_date, today)
    return UICParts(mother=mother_part, father=father_part, sex=sex, birth_date=birth_date)


def build_uic(
    mother: str | None,
    father: str | None,
    sex: str,
    birth_date: datetime.date,
    *,
    today: datetime.date | None = None,
) -> str:
    """Build the 13-character code from a client's answers."""
    return build_parts(mother, father, sex, birth_date, today=today).code


def _parse_name_part(typed: str, *, first_position: int) -> str:
    """Read two letter positions of a typed code into a name part."""
    folded = ""
    for offset, char in enumerate(typed):
        if char == "9":
            folded += char
        elif _is_name_letter(char):
            # Staff often type a code with the keyboard still in Cyrillic.
            folded += _fold_letter(char, typed=char)
        else:
            raise ValidationError(
                gettext("Character %(position)d of a code must be a letter or 9, not “%(char)s”."),
                code="invalid_letters",
                params={"position": first_position + offset, "char": char},
            )
    # A name with a known second letter always has a known first one.
    if folded[0] == "9" and folded[1] != "9":
        raise ValidationError(
            gettext(
                "“%(part)s” is not a name part: use two letters, one letter "
                "followed by 9, or 99 for an unknown name."
            ),
            code="invalid_letters",
            params={"part": typed},
        )
    return folded


def parse_uic(code: str, *, today: datetime.date | None = None) -> UICParts:
    """Read a typed code into its parts, checking every rule of SPEC 1.1.

    Spaces and letter case are ignored, and Cyrillic letters are folded as
    in a name, so ``олва 1 05031985`` reads as ``OLVA105031985``.
    """
    cleaned = "".join(unicodedata.normalize("NFC", code).split()).upper()
    if len(cleaned) != _CODE_LENGTH:
        raise ValidationError(
            ngettext(
                "A code has 13 characters: 4 letters, the sex digit and the "
                "date of birth as DDMMYYYY. %(count)d character was typed.",
                "A code has 13 characters: 4 letters, the sex digit and the "
                "date of birth as DDMMYYYY. %(count)d characters were typed.",
                len(cleaned),
            ),
            code="invalid_length",
            params={"count": len(cleaned)},
        )
    mother = _parse_name_part(cleaned[0:2], first_position=1)
    father = _parse_name_part(cleaned[2:4], first_position=3)
    sex = cleaned[4]
    _check_sex(sex)
    digits = cleaned[5:]
    if not set(digits) <= _ASCII_DIGITS:
        raise ValidationError(
            gettext(
                "The last 8 characters of a code are the date of birth as "
                "digits, DDMMYYYY, not “%(date)s”."
            ),
            code="invalid_date",
            params={"date": digits},
        )
    try:
        birth_date = datetime.date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        raise ValidationError(
            gettext("“%(date)s” is not a real date (DDMMYYYY)."),
            code="invalid_date",
            params={"date": digits},
        ) from None
    _check_birth_date(birth_date, today)
    return UICParts(mother=mother, father=father, sex=sex, birth_date=birth_date)


def _date_digits(parts: UICParts) -> str:
    """Return the date of birth as it appears in the code, DDMMYYYY."""
    return parts.code[5:]


def _count_differences(first: str, second: str) -> int:
    return sum(a != b for a, b in zip(first, second, strict=True))


def _is_unknown_parent(new: UICParts, old: UICParts) -> bool:
    """Tell whether one parent agrees and the other is 99 in one code only."""
    pairs = (
        (new.mother, old.mother, new.father, old.father),
        (new.father, old.father, new.mother, old.mother),
    )
    for new_kept, old_kept, new_other, old_other in pairs:
        if new_kept == old_kept and (new_other == UNKNOWN) != (old_other == UNKNOWN):
            return True
    return False


def duplicate_reason(new: UICParts, old: UICParts) -> str | None:
    """Say why two codes may belong to one client (SPEC 1.3), or None.

    Identical codes are the same client, not a possible duplicate, so they
    give None. When a pair fits two rules, the unknown parent wins, since
    it tells staff which question to ask again.
    """
    if new.code == old.code or new.sex != old.sex:
        return None
    if new.birth_date == old.birth_date:
        if _is_unknown_parent(new, old):
            return "unknown_parent"
        if _count_differences(new.letters, old.letters) == 1:
            return "letter"
        return None
    if new.letters != old.letters:
        return None
    if _count_differences(_date_digits(new), _date_digits(old)) == 1:
        return "date_digit"
    swapped = (
        new.birth_date.year == old.birth_date.year
        and new.birth_date.day == old.birth_date.month
        and new.birth_date.month == old.birth_date.day
    )
    if swapped:
        return "day_month_swapped"
    return None


def network_key(code: str, secret: bytes) -> str:
    """Return the key that matches a client across organisations (SPEC 1.3).

    The raw code never leaves the organisation, only this HMAC-SHA256 hex.
    """
    # Without a secret the key is a plain hash of a code with few possible
    # values, which anyone could reverse by trying them all.
    if not secret:
        raise ValueError("The network secret must not be empty.")
    return hmac.new(secret, code.encode("utf-8"), hashlib.sha256).hexdigest()
