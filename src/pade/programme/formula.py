"""The formula language of indicator definitions, parsed into PADE's own AST.

Grammar (nothing else is accepted; nothing reaches ``eval`` or SQL)::

    expr   := term (("+" | "-") term)*
    term   := factor (("*" | "/") factor)*
    factor := NUMBER | VARIABLE | FUNCTION "(" expr ("," expr)* ")" | "(" expr ")" | "-" factor

``VARIABLE`` is an upper-case symbol declared among the indicator's measures
(``MC``, ``MT``, ``A``). ``FUNCTION`` is one of :data:`FUNCTIONS`.
Division by zero yields "no value" (null), never an error or infinity.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pade.core.errors import InvalidDefinition
from pade.core.i18n import t

FUNCTIONS: dict[str, tuple[int, int]] = {  # name -> (min args, max args)
    "min": (2, 8),
    "max": (2, 8),
    "abs": (1, 1),
    "si_nulo": (2, 2),  # first argument, or the second when the first has no value
}


@dataclass(frozen=True, slots=True)
class Num:
    value: float


@dataclass(frozen=True, slots=True)
class Var:
    name: str


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Node


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Num | Var | Neg | BinOp | Call

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/(),]))")


class FormulaError(InvalidDefinition):
    """A formula that cannot be parsed or names something unknown."""


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # num | name | op | end
    text: str
    pos: int  # 1-based column in the formula


def _tokens(text: str, where: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            start = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
            raise FormulaError(t("{where}: unexpected character '{char}' at position {pos} of the formula «{formula}»; "
                                 "allowed: numbers, variables, + - * / ( ) and the functions {functions}",
                                 where=where, char=text[start], pos=start + 1, formula=text,
                                 functions=", ".join(FUNCTIONS)))
        kind = m.lastgroup or "op"
        out.append(_Tok(kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    out.append(_Tok("end", "", len(text) + 1))
    return out


class _Parser:
    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.toks = _tokens(text, where)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, tok: _Tok, expected: str) -> FormulaError:
        found = tok.text or t("the end of the formula")
        return FormulaError(t("{where}: at position {pos} of the formula «{formula}» expected {expected}, "
                              "found {found}", where=self.where, pos=tok.pos, formula=self.text, expected=expected,
                              found=found))

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text:
            raise self.fail(tok, repr(text))

    def expr(self) -> Node:
        node = self.term()
        while self.peek().text in ("+", "-"):
            op = self.take().text
            node = BinOp(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.peek().text in ("*", "/"):
            op = self.take().text
            node = BinOp(op, node, self.factor())
        return node

    def factor(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return Num(float(tok.text))
        if tok.text == "-":
            return Neg(self.factor())
        if tok.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        if tok.kind == "name":
            if self.peek().text == "(":
                return self.call(tok)
            if not tok.text.isupper():
                raise FormulaError(t("{where}: '{name}' at position {pos} is neither a variable (upper case, e.g. MC) "
                                     "nor a function; functions: {functions}", where=self.where, name=tok.text,
                                     pos=tok.pos, functions=", ".join(FUNCTIONS)))
            return Var(tok.text)
        raise self.fail(tok, t("a number, a variable, a function or '('"))

    def call(self, name: _Tok) -> Node:
        if name.text not in FUNCTIONS:
            raise FormulaError(t("{where}: unknown function '{name}' at position {pos}; allowed: {functions}",
                                 where=self.where, name=name.text, pos=name.pos, functions=", ".join(FUNCTIONS)))
        self.expect("(")
        args = [self.expr()]
        while self.peek().text == ",":
            self.take()
            args.append(self.expr())
        self.expect(")")
        low, high = FUNCTIONS[name.text]
        if not low <= len(args) <= high:
            raise FormulaError(t("{where}: the function {name} takes {low} to {high} arguments, got {n}",
                                 where=self.where, name=name.text, low=low, high=high, n=len(args)))
        return Call(name.text, tuple(args))


def parse(text: str, *, where: str, variables: set[str] | None = None) -> Node:
    """Parse ``text``; with ``variables``, every variable must be one of them.

    Raises:
        FormulaError: with ``where`` (e.g. the indicator id), the position and what is allowed.

    Example:
        >>> parse("(MC / MT) * 100", where="OE1-05")
        BinOp(op='*', left=BinOp(op='/', left=Var(name='MC'), right=Var(name='MT')), right=Num(value=100.0))
    """
    p = _Parser(text, where)
    node = p.expr()
    if p.peek().kind != "end":
        raise p.fail(p.peek(), t("an operator or the end of the formula"))
    if variables is not None:
        for name in sorted(names(node) - variables):
            raise FormulaError(t("{where}: the variable {var} is not defined (defined: {known})", where=where,
                                 var=name, known=", ".join(sorted(variables)) or "ninguna"))
    return node


def names(node: Node) -> set[str]:
    """Variables used by ``node``."""
    if isinstance(node, Var):
        return {node.name}
    if isinstance(node, Neg):
        return names(node.operand)
    if isinstance(node, BinOp):
        return names(node.left) | names(node.right)
    if isinstance(node, Call):
        return set().union(*(names(a) for a in node.args))
    return set()


T = TypeVar("T")


@dataclass(frozen=True)
class Algebra(Generic[T]):
    """How to evaluate the AST over some value type (floats, Ibis columns…)."""

    const: Callable[[float], T]
    add: Callable[[T, T], T]
    sub: Callable[[T, T], T]
    mul: Callable[[T, T], T]
    div: Callable[[T, T], T]  # must give "no value" when dividing by zero
    neg: Callable[[T], T]
    functions: dict[str, Callable[..., T]]


def evaluate(node: Node, env: dict[str, T], algebra: Algebra[T]) -> T:
    """Evaluate ``node`` with variable values from ``env``."""
    if isinstance(node, Num):
        return algebra.const(node.value)
    if isinstance(node, Var):
        return env[node.name]
    if isinstance(node, Neg):
        return algebra.neg(evaluate(node.operand, env, algebra))
    if isinstance(node, BinOp):
        left, right = evaluate(node.left, env, algebra), evaluate(node.right, env, algebra)
        return {"+": algebra.add, "-": algebra.sub, "*": algebra.mul, "/": algebra.div}[node.op](left, right)
    return algebra.functions[node.name](*(evaluate(a, env, algebra) for a in node.args))


def _fdiv(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _lift(fn: Callable[[float, float], float]) -> Callable[[float | None, float | None], float | None]:
    return lambda a, b: None if a is None or b is None else fn(a, b)


FLOATS: Algebra[float | None] = Algebra(
    const=lambda v: v,
    add=_lift(lambda a, b: a + b),
    sub=_lift(lambda a, b: a - b),
    mul=_lift(lambda a, b: a * b),
    div=_fdiv,
    neg=lambda a: None if a is None else -a,
    functions={
        "min": lambda *xs: None if any(x is None for x in xs) else min(xs),
        "max": lambda *xs: None if any(x is None for x in xs) else max(xs),
        "abs": lambda x: None if x is None else abs(x),
        "si_nulo": lambda x, y: y if x is None else x,
    },
)
"""Plain-Python evaluation (used for tests and to evaluate formulas on small results)."""
