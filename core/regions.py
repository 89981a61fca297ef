"""Mainland China's provincial-level divisions and the seven traditional regions.

Used to validate addresses and, by the inventory stage, to pick the nearest warehouse.
"""

from __future__ import annotations

# Canonical name → region code.
PROVINCES: dict[str, str] = {
    "北京市": "north", "天津市": "north", "河北省": "north", "山西省": "north", "内蒙古自治区": "north",
    "辽宁省": "northeast", "吉林省": "northeast", "黑龙江省": "northeast",
    "上海市": "east", "江苏省": "east", "浙江省": "east", "安徽省": "east", "福建省": "east", "江西省": "east",
    "山东省": "east", "台湾省": "east",
    "河南省": "central", "湖北省": "central", "湖南省": "central",
    "广东省": "south", "广西壮族自治区": "south", "海南省": "south", "香港特别行政区": "south",
    "澳门特别行政区": "south",
    "重庆市": "southwest", "四川省": "southwest", "贵州省": "southwest", "云南省": "southwest",
    "西藏自治区": "southwest",
    "陕西省": "northwest", "甘肃省": "northwest", "青海省": "northwest", "宁夏回族自治区": "northwest",
    "新疆维吾尔自治区": "northwest",
}

REGIONS: dict[str, str] = {
    "north": "华北", "northeast": "东北", "east": "华东", "central": "华中", "south": "华南",
    "southwest": "西南", "northwest": "西北",
}

_SUFFIXES = ("省", "市", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区")


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


_BY_SHORT = {_short(name): name for name in PROVINCES}


def canonical_province(name: str | None) -> str | None:
    """`浙江` / `浙江省` → `浙江省`; `广西` → `广西壮族自治区`; None when unknown."""
    if not name:
        return None
    text = name.strip()
    if text in PROVINCES:
        return text
    return _BY_SHORT.get(_short(text))


def region_of(province: str | None) -> str | None:
    canonical = canonical_province(province)
    return PROVINCES.get(canonical) if canonical else None
