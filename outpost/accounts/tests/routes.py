"""Every named URL of the project, read from the resolver, with sample arguments."""

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter


@dataclass(frozen=True)
class Route:
    name: str
    url: str


def _walk(
    patterns: list[URLPattern | URLResolver], namespace: str, converters: Mapping[str, object]
) -> Iterator[tuple[str, dict[str, object]]]:
    for entry in patterns:
        found = {**converters, **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner, found)
        elif entry.name is None:
            raise AssertionError(f"URL pattern {entry.pattern} has no name")
        else:
            yield f"{namespace}{entry.name}", found


def _sample(name: str, converter: object, samples: Mapping[str, object]) -> object:
    if name in samples:
        return samples[name]
    if isinstance(converter, IntConverter):
        return 1
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    return "x"


def all_routes(samples: Mapping[str, object] | None = None) -> list[Route]:
    """One URL per named pattern; ``samples`` gives values for named arguments."""
    routes = []
    for name, converters in _walk(get_resolver().url_patterns, "", {}):
        kwargs = {key: _sample(key, conv, samples or {}) for key, conv in converters.items()}
        routes.append(Route(name=name, url=reverse(name, kwargs=kwargs or None)))
    return routes
