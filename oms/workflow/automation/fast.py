"""A parsed `rule-engine` condition turned into plain Python closures, once, when it is compiled.

rule-engine stays the parser and the type checker (errors with positions, unknown fields); only the
evaluation of the node kinds our conditions use is done here, because rule-engine's interpreter
re-resolves, re-checks and re-coerces every value on every evaluation (≈ 12–90 µs per condition,
26 ms per order with 200 rules; see bench/README.md). The context is already typed
(`conditions.order_context`: Decimals, strings, booleans, tuples), so the closures compare directly.
A node kind not handled here raises `Unsupported` and the rule is evaluated by rule-engine itself.
Equivalence with rule-engine is tested over every operator (`tests/test_conditions.py`).
"""

from __future__ import annotations

import operator

from rule_engine import ast

_ORDERED = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}
_ARITHMETIC = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "tdiv": operator.truediv,
               "mod": operator.mod, "fdiv": operator.floordiv}


class Unsupported(Exception):
    pass


def to_python(node):  # noqa: C901 - one branch per node kind
    kind = type(node)
    if kind is ast.SymbolExpression:
        name = node.name
        return lambda c: c[name]
    if isinstance(node, ast.LiteralExpressionBase) and node.is_reduced:
        value = node.evaluate(None)
        return lambda c: value
    if kind is ast.LogicExpression:
        left, right = to_python(node.left), to_python(node.right)
        if node.type == "and":
            return lambda c: bool(left(c) and right(c))
        if node.type == "or":
            return lambda c: bool(left(c) or right(c))
    if kind is ast.ComparisonExpression:
        left, right = to_python(node.left), to_python(node.right)
        if node.type == "eq":
            def eq(c):
                a, b = left(c), right(c)
                return type(a) is type(b) and a == b
            return eq
        if node.type == "ne":
            def ne(c):
                a, b = left(c), right(c)
                return type(a) is not type(b) or a != b
            return ne
    if kind is ast.ArithmeticComparisonExpression and node.type in _ORDERED:
        left, right, op = to_python(node.left), to_python(node.right), _ORDERED[node.type]
        return lambda c: op(left(c), right(c))
    if kind is ast.FuzzyComparisonExpression and isinstance(node.right, ast.StringExpression):
        left, regex = to_python(node.left), node._right
        find = regex.match if node.type.endswith("fzm") else regex.search
        if node.type.startswith("eq"):
            return lambda c: find(left(c)) is not None
        return lambda c: find(left(c)) is None
    if kind is ast.ContainsExpression:
        member, container = to_python(node.member), to_python(node.container)
        return lambda c: member(c) in container(c)
    if kind is ast.UnaryExpression:
        right = to_python(node.right)
        if node.type == "not":
            return lambda c: not right(c)
        if node.type == "uminus":
            return lambda c: -right(c)
    if kind in (ast.AddExpression, ast.SubtractExpression, ast.ArithmeticExpression) and node.type in _ARITHMETIC:
        left, right, op = to_python(node.left), to_python(node.right), _ARITHMETIC[node.type]
        return lambda c: op(left(c), right(c))
    if kind is ast.TernaryExpression:
        test, yes, no = to_python(node.condition), to_python(node.case_true), to_python(node.case_false)
        return lambda c: yes(c) if test(c) else no(c)
    raise Unsupported(kind.__name__)


def fast_matcher(rule):
    """`context -> bool` for a compiled `rule_engine.Rule`; rule-engine's own `matches` if a node kind
    is not handled here."""
    try:
        fn = to_python(rule.statement.expression)
    except Unsupported:
        return rule.matches
    return lambda context: bool(fn(context))
