"""The registered templates, by id, in the order they were registered."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .errors import DuplicateTemplate, UnknownTemplate
from .template import Template

_registered: dict[str, Template[Any]] = {}
# A live, read-only view: what is registered later shows here too.
TEMPLATES: Mapping[str, Template[Any]] = MappingProxyType(_registered)


def register(found: Template[Any]) -> Template[Any]:
    """Offer a template from now on; DuplicateTemplate if its id is taken."""
    if found.id in _registered:
        raise DuplicateTemplate(found.id)
    _registered[found.id] = found
    return found


def unregister(template_id: str) -> None:
    """Withdraw a template (tests add and remove their own); UnknownTemplate if absent."""
    if _registered.pop(template_id, None) is None:
        raise UnknownTemplate(template_id)


def template(template_id: str) -> Template[Any]:
    """The template with this id, or UnknownTemplate."""
    try:
        return _registered[template_id]
    except KeyError:
        raise UnknownTemplate(template_id) from None
