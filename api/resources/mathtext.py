"""TeX math as HTML and CSS text, for the PDFs WeasyPrint makes (docs/api.md §14).

WeasyPrint runs no JavaScript, and drawing each glyph as an SVG path costs
about a millisecond a glyph; text in a font costs next to nothing. So the
formulas are set here as spans of DejaVu Serif: italic variables, upright
digits, operators and function names, Unicode for Greek letters and symbols,
stacked fractions, raised and lowered scripts and delimiters stretched to
their content (classes styled in api/static/print.css).

It knows only the TeX that this project's own templates and flashcards write
(a test runs every template, difficulty and many seeds through it): anything
else is a :class:`MathTextError`, never raw TeX on paper. Its cost is linear
in the TeX's length and its nesting bounded; nothing is evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from string import ascii_letters, ascii_lowercase, ascii_uppercase

from markupsafe import Markup, escape

__all__ = ["MathTextError", "typeset", "typeset_text"]

MATH = re.compile(r"\$([^$]+)\$")  # $TeX$ in text, as statements, prompts and flashcards write it
TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.DOTALL)
MAX_DEPTH = 24  # our TeX nests 5 deep at most; a bound keeps recursion safe whatever comes


class MathTextError(ValueError):
    """TeX this typesetter does not know, or that does not parse."""


# TeX's atom kinds: their pairs decide the space between atoms (The TeXbook, ch. 18).
ORD, OP, BIN, REL, OPEN, CLOSE, PUNCT, INNER = "ord", "op", "bin", "rel", "open", "close", "punct", "inner"

THIN, MEDIUM, THICK = "\u2006", "\u205f", "\u2005"  # 3, 4 and 5 mu: 1/6, 2/9 and 1/4 em in DejaVu Serif
# (left kind, right kind) → space; the "script" flag: also in sub- and superscripts.
_SPACES: dict[tuple[str, str], tuple[str, bool]] = {
    **{(ORD, right): space for right, space in {OP: (THIN, True), BIN: (MEDIUM, False), REL: (THICK, False),
                                                 INNER: (THIN, False)}.items()},
    **{(OP, right): space for right, space in {ORD: (THIN, True), OP: (THIN, True), REL: (THICK, False),
                                                INNER: (THIN, False)}.items()},
    **{(BIN, right): (MEDIUM, False) for right in (ORD, OP, OPEN, INNER)},
    **{(REL, right): (THICK, False) for right in (ORD, OP, OPEN, INNER)},
    **{(CLOSE, right): space for right, space in {OP: (THIN, True), BIN: (MEDIUM, False), REL: (THICK, False),
                                                   INNER: (THIN, False)}.items()},
    **{(PUNCT, right): (THIN, False) for right in (ORD, OP, REL, OPEN, CLOSE, PUNCT, INNER)},
    **{(INNER, right): space for right, space in {ORD: (THIN, False), OP: (THIN, True), BIN: (MEDIUM, False),
                                                   REL: (THICK, False), OPEN: (THIN, False), PUNCT: (THIN, False),
                                                   INNER: (THIN, False)}.items()},
}

# Single characters: (kind, shown as, italic).
_CHARACTERS: dict[str, tuple[str, str, bool]] = {
    **{letter: (ORD, letter, True) for letter in ascii_letters},
    **{digit: (ORD, digit, False) for digit in "0123456789."},
    "+": (BIN, "+", False), "-": (BIN, "\u2212", False), "=": (REL, "=", False),
    "(": (OPEN, "(", False), "[": (OPEN, "[", False), ")": (CLOSE, ")", False), "]": (CLOSE, "]", False),
    ",": (PUNCT, ",", False), ";": (PUNCT, ";", False), "/": (ORD, "/", False),
}
# Commands that stand for one symbol.
_SYMBOLS: dict[str, tuple[str, str, bool]] = {
    "\\beta": (ORD, "β", True), "\\in": (REL, "∈", False), "\\mid": (REL, "∣", False),
    "\\geq": (REL, "≥", False), "\\|": (ORD, "‖", False), "\\{": (OPEN, "{", False), "\\}": (CLOSE, "}", False),
    "\\dots": (ORD, "…", False), "\\sum": (OP, "∑", False), "\\int": (OP, "∫", False), "\\ln": (OP, "ln", False),
}
_DELIMITERS = {"(": "(", ")": ")", "[": "[", "]": "]", "\\{": "{", "\\}": "}", ".": ""}
_DOUBLE_STRUCK = {"E": "𝔼"}
# Italic as Unicode's mathematical italic letters (DejaVu Serif has them): a formula's text stays one run,
# where an <i> per variable would split it, and WeasyPrint's cost goes by the run.
_ITALIC = {
    **{letter: chr(0x1D434 + index) for index, letter in enumerate(ascii_uppercase)},
    **{letter: chr(0x1D44E + index) for index, letter in enumerate(ascii_lowercase)},
    "h": "\u210e",  # Unicode's italic h is Planck's constant, outside the block
}
_DESCENDING = frozenset("()[]{}∣‖∑∫,;βpqgjy")  # glyphs reaching below the baseline

# Styles (display, text, script, scriptscript): their sizes, and those of a fraction's parts and of scripts.
DISPLAY, TEXT, SCRIPT, SCRIPTSCRIPT = 0, 1, 2, 3
_SIZE = {DISPLAY: 1.0, TEXT: 1.0, SCRIPT: 0.75, SCRIPTSCRIPT: 0.6}
_SMALLER = {1.0: "", 0.75: " ms1", 0.8: " ms2"}  # a part's size relative to its parent's: print.css's classes
# Heights in em of DejaVu Serif: its math axis (the middle of + and =), a line box of line-height 1.
AXIS = 0.31
MIDDLE = 0.26  # where vertical-align: middle puts a box's centre: half the x-height
STRUT_HEIGHT, STRUT_DEPTH = 0.85, 0.15
PAREN_HALF = 0.47  # half a parenthesis's height, about the axis


@dataclass(frozen=True)
class Symbol:
    kind: str
    text: str
    italic: bool


@dataclass(frozen=True)
class Space:
    text: str


@dataclass(frozen=True)
class Group:
    atoms: tuple[Node, ...]


@dataclass(frozen=True)
class Fraction:
    numerator: Group
    denominator: Group


@dataclass(frozen=True)
class Delimited:
    left: str
    inside: Group
    right: str


@dataclass(frozen=True)
class Scripted:
    base: Node
    sub: Group | None
    sup: Group | None


Node = Symbol | Space | Group | Fraction | Delimited | Scripted


def _kind(node: Node) -> str:
    match node:
        case Symbol(kind=kind):
            return kind
        case Scripted(base=base):
            return _kind(base)
        case Fraction() | Delimited():
            return INNER
    return ORD  # a {group}, as in TeX


class _Parser:
    """Recursive descent over the tokens; ``depth`` bounds the nesting."""

    def __init__(self, tex: str) -> None:
        self.tex = tex
        self.tokens = [token for token in TOKEN.findall(tex) if not token.isspace()]
        self.at = 0

    def fail(self, message: str) -> MathTextError:
        return MathTextError(f"{message}, after {self.at} tokens of {self.tex[:200]!r}")

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.fail("the formula ends too soon")
        self.at += 1
        return token

    def group(self, depth: int, until: str | None = None) -> Group:
        atoms: list[Node] = []
        while (token := self.peek()) is not None and token != until:
            if token in ("}", "\\right"):
                raise self.fail(f"an unmatched {token}")
            atoms.append(self.scripts(self.atom(depth), depth))
        if until is not None:
            self.take()
        return Group(tuple(atoms))

    def argument(self, depth: int) -> Group:
        """A command's argument or a script: a {group} or one token."""
        if self.peek() == "{":
            self.take()
            return self.group(depth + 1, until="}")
        return Group((self.atom(depth + 1),))

    def atom(self, depth: int) -> Node:
        if depth > MAX_DEPTH:  # every nesting (a group, an argument, a script) passes here
            raise self.fail("the formula nests too deep")
        token = self.take()
        if token == "{":
            return self.group(depth + 1, until="}")
        if token in _CHARACTERS:
            return Symbol(*_CHARACTERS[token])
        if token in _SYMBOLS:
            return Symbol(*_SYMBOLS[token])
        if token == "\\,":
            return Space(THIN)
        if token == "\\frac":
            return Fraction(self.argument(depth), self.argument(depth))
        if token == "\\mathrm":
            return Symbol(ORD, self.letters(depth), italic=False)
        if token == "\\mathbb":
            letters = self.letters(depth)
            if any(letter not in _DOUBLE_STRUCK for letter in letters):
                raise self.fail(f"\\mathbb{{{letters}}}: only \\mathbb{{E}} is known here")
            return Symbol(ORD, "".join(_DOUBLE_STRUCK[letter] for letter in letters), italic=False)
        if token == "\\left":
            left = self.delimiter()
            inside = self.group(depth + 1, until="\\right")
            return Delimited(left, inside, self.delimiter())
        raise self.fail(f"{token!r} is not TeX this typesetter knows")

    def letters(self, depth: int) -> str:
        """\\mathrm's and \\mathbb's argument: Latin letters only."""
        atoms = self.argument(depth).atoms
        if not atoms or not all(isinstance(atom, Symbol) and atom.italic and atom.text.isascii() for atom in atoms):
            raise self.fail("\\mathrm and \\mathbb take Latin letters only")
        return "".join(atom.text for atom in atoms if isinstance(atom, Symbol))

    def delimiter(self) -> str:
        token = self.take()
        if token not in _DELIMITERS:
            raise self.fail(f"{token!r} is not a delimiter for \\left or \\right")
        return _DELIMITERS[token]

    def scripts(self, base: Node, depth: int) -> Node:
        sub = sup = None
        while (token := self.peek()) in ("_", "^"):
            self.take()
            if (sub if token == "_" else sup) is not None:
                raise self.fail(f"a second {token} on one atom")
            if token == "_":
                sub = self.argument(depth)
            else:
                sup = self.argument(depth)
        return base if sub is None and sup is None else Scripted(base, sub, sup)


@dataclass(frozen=True)
class Box:
    """Typeset HTML and how far it reaches above and below the baseline, in em of its own size."""

    html: str
    height: float
    depth: float


def _smaller(style: int, smaller: int) -> tuple[float, str]:
    """A part set in ``smaller`` inside ``style``: its size as a fraction of its parent's, and its class."""
    ratio = round(_SIZE[smaller] / _SIZE[style], 2)
    return ratio, _SMALLER[ratio]


def _symbol(symbol: Symbol) -> Box:
    depth = 0.21 if any(c in _DESCENDING for c in symbol.text) else 0.0
    if symbol.italic and symbol.text in _ITALIC:
        return Box(_ITALIC[symbol.text], 0.76, depth)
    text = str(escape(symbol.text))
    # Greek: DejaVu Serif's own file has no math italic Greek; an italic face (or a slanted one) does.
    return Box(f"<i>{text}</i>" if symbol.italic else text, 0.76, depth)


def _fraction(fraction: Fraction, style: int) -> Box:
    part = min(style + 1, SCRIPTSCRIPT)
    ratio, size = _smaller(style, part)
    numerator, denominator = _row(fraction.numerator, part), _row(fraction.denominator, part)
    # Each part is a block of line-height 1, at least a strut tall; the fraction is centred on the axis.
    total = ratio * (max(STRUT_HEIGHT, numerator.height) + max(STRUT_DEPTH, numerator.depth)
                     + max(STRUT_HEIGHT, denominator.height) + max(STRUT_DEPTH, denominator.depth))
    html = (f'<span class="mfrac"><span class="mnum{size}">{numerator.html}</span>'
            f'<span class="mden{size}">{denominator.html}</span></span>')
    return Box(html, MIDDLE + total / 2, total / 2 - MIDDLE)


def _delimiter(text: str, scale: float) -> str:
    """A delimiter stretched ``scale`` times its height about the axis: in a bigger size
    its strokes would grow as heavy, and DejaVu Serif has no lighter weight."""
    if not text:
        return ""
    if scale <= 1.15:  # a descender inside: not worth stretching for
        return text
    return f'<span class="mdl" style="transform: scaleY({scale:.2f})">{text}</span>'


def _delimited(delimited: Delimited, style: int) -> Box:
    inside = _row(delimited.inside, style)
    reach = max(inside.height - AXIS, inside.depth + AXIS, PAREN_HALF)
    scale = reach / PAREN_HALF
    html = f"{_delimiter(delimited.left, scale)}{inside.html}{_delimiter(delimited.right, scale)}"
    return Box(html, AXIS + reach, reach - AXIS)


def _scripted(scripted: Scripted, style: int) -> Box:
    base = _box(scripted.base, style)
    part = SCRIPT if style <= TEXT else SCRIPTSCRIPT
    ratio, size = _smaller(style, part)
    sub = _row(scripted.sub, part) if scripted.sub is not None else None
    sup = _row(scripted.sup, part) if scripted.sup is not None else None
    plain = isinstance(scripted.base, Symbol)
    # TeX's rules, roughly: a superscript up by 0.41 em or to the base's top; a subscript down 0.15 em or more.
    raise_by = max(0.41, base.height - 0.29) if not plain else 0.41
    lower_by = max(0.15 if sup is None else 0.25, 0.0 if plain else base.depth + 0.05)
    if sub is not None:
        lower_by = max(lower_by, ratio * sub.height - 0.35)
    height, depth = base.height, base.depth
    if sub is not None and sup is not None:
        # Stacked: the superscript's line over the subscript's, whose baseline sets the box's.
        html = (f'<span class="msubsup{size}" style="vertical-align: {-lower_by / ratio:.3f}em">'
                f"<span>{sup.html}</span><span>{sub.html}</span></span>")
        height = max(height, ratio * (1 + sup.height) - lower_by)
        depth = max(depth, lower_by + ratio * sub.depth)
    elif sup is not None:
        html = f'<span class="msup{size}" style="vertical-align: {raise_by / ratio:.3f}em">{sup.html}</span>'
        height = max(height, raise_by + ratio * sup.height)
    else:
        assert sub is not None  # a Scripted has one script at least
        html = f'<span class="msub{size}" style="vertical-align: {-lower_by / ratio:.3f}em">{sub.html}</span>'
        depth = max(depth, lower_by + ratio * sub.depth)
    return Box(base.html + html, height, depth)


def _box(node: Node, style: int) -> Box:
    match node:
        case Symbol():
            return _symbol(node)
        case Space(text=text):
            return Box(text, 0.0, 0.0)
        case Group():
            return _row(node, style)
        case Fraction():
            return _fraction(node, style)
        case Delimited():
            return _delimited(node, style)
        case Scripted():
            return _scripted(node, style)


def _kinds(atoms: tuple[Node, ...]) -> list[str]:
    """Each atom's kind, a binary operator made ordinary where TeX makes it so (a leading minus, ``= -3``)."""
    kinds = [_kind(atom) for atom in atoms]
    for index, kind in enumerate(kinds):
        before = kinds[index - 1] if index else None
        after = kinds[index + 1] if index + 1 < len(kinds) else None
        if kind == BIN and (before in (None, BIN, OP, REL, OPEN, PUNCT) or after in (None, REL, CLOSE, PUNCT)):
            kinds[index] = ORD
    return kinds


def _spaced(atoms: tuple[Node, ...], style: int) -> Iterator[tuple[str, Box, str]]:
    """Each atom with its kind and the space after it, as TeX spaces them in this style."""
    kinds = _kinds(atoms)
    for index, atom in enumerate(atoms):
        space = ""
        if index + 1 < len(atoms) and not isinstance(atoms[index + 1], Space) and not isinstance(atom, Space):
            found = _SPACES.get((kinds[index], kinds[index + 1]))
            if found is not None and (style <= TEXT or found[1]):
                space = found[0]
        yield kinds[index], _box(atom, style), space


def _row(group: Group, style: int) -> Box:
    boxes = [(box, space) for _, box, space in _spaced(group.atoms, style)]
    return Box("".join(box.html + space for box, space in boxes),
               max((box.height for box, _ in boxes), default=0.76), max((box.depth for box, _ in boxes), default=0.0))


def _pieces(group: Group, style: int) -> list[str]:
    """The formula's top level in unbreakable pieces (each but the last with the space that
    follows it): a line breaks only after a binary operator or a relation outside any
    parentheses, as TeX breaks inline math."""
    pieces, piece, nesting = [], "", 0
    for kind, box, space in _spaced(group.atoms, style):
        piece += box.html
        nesting += {OPEN: 1, CLOSE: -1}.get(kind, 0)
        if kind in (BIN, REL) and nesting == 0 and space:
            pieces.append(f'<span class="mp">{piece}</span>{space}')
            piece = ""
        else:
            piece += space
    return [*pieces, piece]


@lru_cache(maxsize=4096)  # a class's sheets repeat most formulas: the prompts, common params
def typeset(tex: str, display: bool = False) -> Markup:
    """One TeX formula as HTML, in text style or (``display``) display style."""
    *pieces, last = _pieces(_Parser(tex).group(0), DISPLAY if display else TEXT)
    if not pieces:  # one piece: the formula is the unbreakable span (WeasyPrint's time goes by the span)
        return Markup(f'<span class="mformula mp">{last}</span>')
    return Markup(f'<span class="mformula">{"".join(pieces)}<span class="mp">{last}</span></span>')


def typeset_text(text: str) -> Markup:
    """Text with $TeX$: the text escaped, each formula typeset."""
    pieces = MATH.split(text)  # text, formula, text, …
    return Markup("").join(typeset(piece) if index % 2 else escape(piece) for index, piece in enumerate(pieces))
