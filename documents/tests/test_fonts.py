"""The project's PDF font: the GB2312 subset covers common Chinese, rare characters come from the supplement."""

import io
import shutil

from pypdf import PdfReader

from documents.fonts import FontLibrary, font_library, gb2312_codepoints
from documents.render import TextTable, WarmRenderer


def fonts_of(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_supplement_is_built_on_demand_and_grows(tmp_path):
    base = font_library()
    base.ensure_built()
    for name in ("oms-mono.ttf", "manifest.json"):
        shutil.copy(base.font_dir / name, tmp_path / name)
    library = FontLibrary(font_dir=tmp_path)
    assert library.missing("张三堃") == {ord("堃")}
    assert library.ensure_covered("张三堃") is True
    assert library.ensure_covered("堃") is False
    assert library.ensure_covered("喆") is True
    assert library.missing("堃喆") == set()
    assert FontLibrary(font_dir=tmp_path).missing("堃喆") == set()  # another process finds it on disk
    assert library.ensure_covered("🙂") is False  # not in the source font: left to system fallback


def test_every_gb2312_character_is_in_the_subset():
    assert gb2312_codepoints() <= font_library().base_cmap


def test_every_gb2312_character_renders_with_the_project_font_alone():
    chars = "".join(sorted(chr(cp) for cp in gb2312_codepoints() if chr(cp).strip()))
    rows = "\n".join(chars[i:i + 60] for i in range(0, len(chars), 60))
    pdf = WarmRenderer(extra_css="pre { font-family: FONT_STACK; }").render(f"<pre>{rows}</pre>", base_url=".")
    assert fonts_of(pdf) == {"OMS-Mono"}
    assert set(text_of(pdf).replace("\n", "")) >= set(chars)


def test_text_table_gives_cjk_two_cells_and_wraps_the_first_column():
    table = TextTable({}, (("Item", 8, False), ("Qty", 5, True)))
    assert table.width("商品A") == 5
    row = table.row(["商品名称很长", 3])
    first, second = row.split("\n")
    assert first == "商品名      3" and second == "称很长"
