"""Extra sections on the unit page, contributed by apps above `units` (history, hazards).

`units` must not import those apps; they register a provider here from their AppConfig.ready.
A provider takes (request, unit) and returns a list of {"title", "template", "context"} dicts,
with a fixed number of queries whatever the unit's history size.
"""

from collections.abc import Callable

_providers: list[Callable] = []


def register(provider: Callable) -> None:
    if provider not in _providers:
        _providers.append(provider)


def sections_for(request, unit) -> list[dict]:
    sections: list[dict] = []
    for provider in _providers:
        sections.extend(provider(request, unit))
    return sections
