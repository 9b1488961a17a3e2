"""Reading YAML that people upload or write by hand (assessments, scenarios, mappings, plans).

``yaml.safe_load`` builds no objects, but it still fails in ways a loader does not expect:
a date that does not exist (``2024-13-45``) or a tagged value it cannot convert
(``!!int abc``) raises ``ValueError`` or ``AttributeError`` rather than a YAML error; a few
thousand opening brackets exhaust the recursion limit; an anchor that contains itself
(``&a [*a]``) gives a list that contains itself; and anchors repeated inside anchors (the
"billion laughs") give a small file whose values expand to gigabytes when printed.
:func:`load` refuses all of these with a ``yaml.YAMLError`` that names the line, so every
loader's own "not valid YAML" handling covers them.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

#: Deeper nesting than any real file has; far below Python's recursion limit.
MAX_DEPTH = 64
#: Values counted with every alias expanded; a large real file has tens of thousands.
MAX_EXPANDED_NODES = 1_000_000


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` with limits on depth, self-reference and alias expansion."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._open_anchors: set[str] = set()
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open_anchors:
                raise ComposerError(
                    None,
                    None,
                    f"the anchor {event.anchor!r} refers to itself",
                    event.start_mark,
                )
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise ComposerError(
                None,
                None,
                f"nested more than {MAX_DEPTH} levels deep",
                event.start_mark,
            )
        anchor = getattr(event, "anchor", None)
        self._depth += 1
        if anchor:
            self._open_anchors.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor:
                self._open_anchors.discard(anchor)
        self._sizes[id(node)] = size = 1 + sum(
            self._sizes.get(id(child), 1) for child in _children(node)
        )
        if size > MAX_EXPANDED_NODES:
            raise ComposerError(
                None,
                None,
                "its anchors and aliases expand to more than "
                f"{MAX_EXPANDED_NODES:,} values",
                event.start_mark,
            )
        return node

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as e:
            # PyYAML's converters raise these for values they match but cannot convert.
            raise ConstructorError(
                None,
                None,
                f"cannot read the value {str(node.value)[:40]!r} as {_tag(node)}",
                node.start_mark,
            ) from e


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _tag(node: Node) -> str:
    name = str(node.tag).rsplit(":", 1)[-1]
    return {"timestamp": "a date", "int": "a whole number", "float": "a number"}.get(
        name, name
    )


def load(text: str) -> Any:
    """Parse one YAML document from untrusted text, like ``yaml.safe_load``.

    :raises yaml.YAMLError: the text is not YAML, or breaks one of the limits above; the
        error's ``problem_mark`` gives the line when known.
    """
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except RecursionError as e:
        # Only the constructor could still recurse (the composer is bounded above).
        raise ComposerError(
            None, None, f"nested more than {MAX_DEPTH} levels deep", None
        ) from e
    finally:
        loader.dispose()
