from django.contrib.auth.base_user import AbstractBaseUser


class ContextWordsValidator:
    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        return None

    def get_help_text(self) -> str:
        return ""
