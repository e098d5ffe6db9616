"""The settings B6's server runs with: production's, except for static files.

The benchmark asks for no static file, and production's manifest storage
would need ``collectstatic`` first just to render ``{% static %}`` tags.
"""

from config.settings import *  # noqa: F403 — these are the settings, one change apart

STORAGES = {
    **STORAGES,  # noqa: F405 — from config.settings
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
