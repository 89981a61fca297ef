"""Punctuation that follows the language: Chinese text takes full-width marks (`金额：`), English
takes ASCII ones (`Amount: `). A label written as `label + "："` reads wrong in the English UI."""

from django.utils.translation import get_language


def is_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def colon() -> str:
    return "：" if is_chinese() else ": "


def labelled(label, text) -> str:
    """`金额：必须大于零` / `Amount: must be greater than zero`."""
    return f"{label}{colon()}{text}"
