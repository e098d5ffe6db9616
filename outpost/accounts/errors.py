from outpost.core.errors import DomainError


class OTPRefused(DomainError):
    """A second-factor code was wrong, already used, or came too soon."""
