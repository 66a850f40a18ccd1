"""The briefing rendered by LibreOffice (Debian's libreoffice-writer, which `make install` installs) and read back
with poppler: it converts cleanly, has a sensible number of pages, no table cell breaks a word, and the chart is in."""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from docx import Document
from lxml import etree

from exporters import _pdf
from exporters.briefing import BriefingInfo, write_briefing
from plugin.exports import briefing_names

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CELL_MARGINS_IN = 2 * 0.075  # the table style's left and right cell margins


@pytest.fixture(scope="module")
def rendered(seed_gold_with_meta, example_story, tmp_path_factory):
    """(docx, pdf, LibreOffice's error stream) of the seed articles' briefing."""
    items = seed_gold_with_meta
    aliases, speakers = briefing_names(example_story)
    info = BriefingInfo(target=example_story.target, title=example_story.title, aliases=aliases, speaker_aliases=speakers)
    tmp = tmp_path_factory.mktemp("pdf")
    docx = write_briefing(items, tmp / "brief.docx", info)
    messages = _pdf.convert(docx, tmp / "converted.pdf")
    pdf = write_briefing(items, tmp / "brief.pdf", info, fmt="pdf")  # what --format pdf writes
    return docx, pdf, messages, tmp / "converted.pdf"


def _poppler(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


def test_the_docx_is_well_formed_and_converts_without_warnings(rendered):
    docx, pdf, messages, _ = rendered
    # LibreOffice's only note on a clean conversion, on a machine without Java
    assert [ln for ln in messages.splitlines() if ln.strip() and "javaldx" not in ln] == [], messages
    with zipfile.ZipFile(docx) as z:
        assert z.testzip() is None
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(z.read(name))  # every part parses
        body = etree.fromstring(z.read("word/document.xml"))
        rels = etree.fromstring(z.read("word/_rels/document.xml.rels"))
    ids = {r.get("Id") for r in rels}
    embeds = body.xpath("//*[local-name()='blip']/@*[local-name()='embed']")
    assert embeds and set(embeds) <= ids, "every picture points at a part in the package"
    for table in body.iter(W + "tbl"):
        columns = len(table.find(W + "tblGrid"))
        assert all(len(row.findall(W + "tc")) == columns for row in table.iter(W + "tr"))
    assert pdf.read_bytes().startswith(b"%PDF-")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert info.stderr == "", info.stderr  # poppler reads it without a syntax error


def test_page_count_is_sensible_and_page_one_is_full(rendered):
    _, pdf, _, _ = rendered
    pages = int(re.search(r"Pages:\s+(\d+)", _poppler("pdfinfo", str(pdf))).group(1))
    assert 5 <= pages <= 20, pages
    first = [ln for ln in _poppler("pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-").splitlines() if ln.strip()]
    assert len(first) >= 30, "page one is not left mostly blank"
    assert first[0].strip().startswith("Russia-NATO security talks")


def test_the_chart_is_embedded(rendered):
    _, pdf, _, _ = rendered
    images = [ln.split() for ln in _poppler("pdfimages", "-list", str(pdf)).splitlines()[2:]]
    pictures = [i for i in images if i[2] == "image" and int(i[3]) >= 600]
    assert len(pictures) == 1, images


def _fonts(pdf: Path) -> list[Path]:
    """The files of the fonts LibreOffice embedded (found with fontconfig)."""
    out = []
    for line in _poppler("pdffonts", str(pdf)).splitlines()[2:]:
        name = line.split()[0].split("+", 1)[-1]
        family, _, style = name.partition("-")
        found = _poppler("fc-match", "-f", "%{file}", f"{family}:{style.lower() or 'regular'}").strip()
        if Path(found).name.lower().startswith(family.lower()):
            out.append(Path(found))
    return out


def test_no_table_column_is_narrower_than_its_longest_word(rendered):
    """Column widths of the document against its longest word, measured in every font the PDF uses."""
    from matplotlib import ft2font

    docx, pdf, _, _ = rendered
    fonts = [ft2font.FT2Font(str(f)) for f in _fonts(pdf)]
    assert fonts
    doc = Document(str(docx))
    size = 9
    for table in doc.tables:
        for n, column in enumerate(table.columns):
            words = {w for row in table.rows for w in row.cells[n].text.split()}
            widest = 0.0
            for font in fonts:
                font.set_size(size, 72)
                for w in words:
                    font.set_text(w)
                    widest = max(widest, font.get_width_height()[0] / 64 / 72)
            assert widest + CELL_MARGINS_IN <= column.width.inches, (table.rows[0].cells[n].text, widest, column.width.inches)


def _broken_words(docx: Path, pdf: Path) -> dict[str, tuple[int, int]]:
    """Words of table cells that the PDF's text holds whole fewer times than the document holds them."""
    doc = Document(str(docx))
    token = re.compile(r"\w{2,}")
    in_docx = Counter(token.findall("\n".join(p.text for p in doc.paragraphs)))
    cell_words = set()
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                words = token.findall(cell.text)
                in_docx.update(words)
                cell_words.update(words)
    in_pdf = Counter(token.findall(_poppler("pdftotext", str(pdf), "-")))
    return {w: (in_docx[w], in_pdf[w]) for w in cell_words if in_pdf[w] < in_docx[w]}


def test_no_table_cell_breaks_a_word_in_the_pdf(rendered):
    """Every word of every table cell is whole in the PDF's text as often as the document holds it."""
    docx, pdf, _, _ = rendered
    assert _broken_words(docx, pdf) == {}


def test_a_narrow_column_would_be_caught(rendered, tmp_path):
    """The check above can fail: squeeze the actors table's first column and names break."""
    docx, _, _, _ = rendered
    doc = Document(str(docx))
    table = doc.tables[0]
    narrow = table.columns[0].width // 4
    table.columns[0].width = narrow
    for row in table.rows:
        row.cells[0].width = narrow
    doc.save(str(tmp_path / "narrow.docx"))
    _pdf.convert(tmp_path / "narrow.docx", tmp_path / "narrow.pdf")
    assert "Vladimir" in _broken_words(tmp_path / "narrow.docx", tmp_path / "narrow.pdf")
