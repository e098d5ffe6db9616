"""Refuse passwords built from words anyone would guess here (ASVS 6.2.11)."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from outpost.orgs.models import Organisation, Site

# Words tied to the work, in the three interface languages.
CONTEXT_WORDS = (
    "outpost",
    "harm reduction",
    "зменшення шкоди",
    "снижение вреда",
    "naloxone",
)
# Shorter words from the person's own details would refuse too much.
MIN_WORD_LENGTH = 3


def _squash(text: str) -> str:
    """Lower-case letters and digits only, so "Harm-Reduction" matches too."""
    return "".join(char for char in text.casefold() if char.isalnum())


class ContextWordsValidator:
    """Refuse the username, the organisation's and sites' names and words of the work."""

    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        squashed = _squash(password)
        for word in self._words(user):
            if _squash(word) and _squash(word) in squashed:
                raise ValidationError(
                    gettext("The password contains “%(word)s”, which is easy to guess here."),
                    code="password_context_word",
                    params={"word": word},
                )

    def get_help_text(self) -> str:
        return gettext(
            "Your password can’t contain your username, your organisation’s or sites’ "
            "names, or words such as “harm reduction”."
        )

    def _words(self, user: AbstractBaseUser | None) -> list[str]:
        words = list(CONTEXT_WORDS)
        if user is None:
            return words
        words.append(user.get_username())
        if user.pk is not None:
            orgs = Organisation.objects.filter(memberships__user_id=user.pk)
            for name, slug in orgs.values_list("name", "slug"):
                words += [name, slug]
            words += Site.objects.filter(org__in=orgs).values_list("name", flat=True)
        return [word for word in words if len(_squash(word)) >= MIN_WORD_LENGTH]
