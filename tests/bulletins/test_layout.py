"""GB/T 9704-2012 layout, read back from the real PDF (pdftotext, pdffonts): "— 1 —" page
numbers right on odd pages and left on even ones, the place-named issuer and number, balanced
title lines, "特此通报。" never first on a page, the annex list in one piece, the fonts."""

import re
import subprocess
from pathlib import Path

import pytest

from inspections import bulletins
from inspections.bulletins import MIN_TITLE_LINE, TITLE_CAPACITY, title_lines
from inspections.models import Bulletin

from .conftest import START, TODAY, signed

PAGE_NUMBER = re.compile(r"^\s*—\s*(\d+)\s*—\s*$")


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def circulated(district, office, leader) -> Bulletin:
    built = bulletins.build(bulletins.create_bulletin(actor=office, start=START, end=TODAY).pk)
    assert built.status == Bulletin.Status.READY, built.error
    signed(built.pk, office, leader)
    return bulletins.circulate(bulletin_id=built.pk, actor=office)


def pages(path: str, *layout: str) -> list[list[str]]:
    """Each page's non-empty lines as pdftotext reads them."""
    out = subprocess.run(
        ["pdftotext", *layout, path, "-"], capture_output=True, text=True, check=True
    ).stdout
    return [[ln for ln in page.splitlines() if ln.strip()] for page in out.split("\f")[:-1]]


def body_lines(page: list[str]) -> list[str]:
    """A page's text lines without its page number and the draft mark."""
    return [ln for ln in page if not PAGE_NUMBER.match(ln) and "草稿 · 未印发" not in ln]


@pytest.mark.parametrize(
    "title",
    [
        "铁西区安全生产委员会办公室关于2026年11月安全生产隐患排查治理情况的通报",
        "铁西区安全生产委员会办公室关于2026年5月16日至6月15日安全生产隐患排查治理情况的通报",
        "铁西区安全生产委员会办公室关于兴华街道中秋国庆节前安全生产大检查情况的通报",
        "铁西区安全生产委员会办公室关于2026年第三季度安全生产隐患排查治理情况的通报",
        "沈阳市铁西区安全生产委员会办公室关于开展冬春火灾防控安全生产大检查专项行动情况的通报",
        "区安全生产委员会办公室关于2026年通报",
        # 21 characters: 20 on a line would leave "报" alone on the second.
        "铁西区安委会办公室关于城镇燃气安全专项整治情况的通报",
        "关于隐患排查治理工作情况的通报",
    ],
)
def test_title_lines_fit_and_are_never_orphans(title):
    lines = title_lines(title)
    assert "".join(lines) == title
    assert all(len(line) >= MIN_TITLE_LINE for line in lines), lines
    assert all(bulletins._width(line) <= TITLE_CAPACITY for line in lines), lines
    if len(lines) > 1 and "关于" in lines[0]:
        assert lines[0].endswith("关于")
    # Balanced: no line of the rest is less than half as long as the longest.
    rest = lines[1:] if lines[0].endswith("关于") else lines
    if len(rest) > 1:
        widths = [bulletins._width(line) for line in rest]
        assert min(widths) * 2 >= max(widths), lines
    assert not any(re.search(r"\d$", line) for line in lines)  # no date cut


@pytest.mark.django_db
def test_circulated_pdf_reads_as_gb9704(circulated):
    path = circulated.pdf.path
    plain = pages(path)
    assert len(plain) >= 5
    for number, page in enumerate(plain, start=1):
        numbers = [m.group(1) for ln in page if (m := PAGE_NUMBER.match(ln))]
        assert numbers == [str(number)], page[-3:]
        assert any(ln.strip() == f"— {number} —" for ln in page)
    text = "".join("".join(body_lines(p)) for p in plain)
    assert "第1页" not in text and "共" + str(len(plain)) + "页" not in text
    first = "".join(body_lines(plain[0]))
    assert first.startswith("铁西区安全生产委员会办公室铁安委办〔2026〕1号")
    assert "同比" in text
    # The title as printed: the lines chosen by title_lines, none shorter than 3 characters.
    layout_first = [ln.strip() for ln in pages(path, "-layout")[0]]
    start = layout_first.index("铁安委办〔2026〕1号") + 1
    end = next(i for i, ln in enumerate(layout_first) if ln.startswith("各街道办事处"))
    printed = layout_first[start:end]
    assert printed == title_lines(circulated.title)
    assert len(printed) > 1 and all(len(ln) >= MIN_TITLE_LINE for ln in printed)
    for page in plain:
        lines = body_lines(page)
        assert not lines or not lines[0].startswith("特此通报")
    # The annex list and the signature on one page.
    closing = [p for p in plain if any("附件：1．" in ln for ln in p)]
    assert len(closing) == 1
    joined = "".join(closing[0])
    assert "7．统计口径和评价规则" in joined and "特此通报。" in joined
    assert "铁西区安全生产委员会办公室" in joined


@pytest.mark.django_db
def test_page_numbers_odd_right_even_left(circulated):
    out = subprocess.run(
        ["pdftotext", "-bbox", circulated.pdf.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    checked = 0
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", out, re.S), start=1):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        height = float(re.search(r'height="([\d.]+)"', page).group(1))
        words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page)
        footer = [float(x) for x, y, w in words if w == str(number) and float(y) > height * 0.85]
        assert footer, f"no page number on page {number}"
        if number % 2:
            assert footer[0] > width * 0.7
        else:
            assert footer[0] < width * 0.3
        checked += 1
    assert checked >= 2


@pytest.mark.django_db
def test_pdf_embeds_the_song_hei_and_kai_stand_ins(circulated):
    fonts = subprocess.run(
        ["pdffonts", circulated.pdf.path], capture_output=True, text=True, check=True
    ).stdout
    embedded = [line for line in fonts.splitlines()[2:] if " yes " in line]
    names = " ".join(line.split()[0] for line in embedded)
    assert "Noto-Serif-CJK-SC" in names  # body 仿宋 stack falls back to it; title, issuer
    assert "Noto-Sans-CJK-SC" in names  # 黑体 headings, tables
    assert "AR-PL-UKai-CN" in names  # 楷体 "（一）" headings
    # The page style shared by the bulletins and the 季报 (document.html, quarterly_document.html).
    css = (Path(__file__).parents[2] / "templates/bulletins/_document_style.css").read_text()
    assert re.search(r'html \{\s*font-family: "仿宋_GB2312", "FangSong", "Noto Serif CJK SC"', css)
    assert "font-size: 16pt" in css  # 3号


@pytest.mark.django_db
def test_closing_is_never_first_on_a_page_whatever_the_length(circulated, tmp_path):
    """The last paragraph grows one line at a time over a whole page, so one of the lengths
    ends it exactly at the foot of a page: "特此通报。" must still share a page with it.
    Annexes begin on their own pages and are left out to keep the test quick."""
    from weasyprint import HTML

    base = bulletins.render_html(circulated)
    base = base[: base.index('<section class="annex">')] + "</body></html>"
    last = circulated.requirements.splitlines()[-1]
    for extra in range(23):
        html = base.replace(last, last + "落实" * 14 * extra)
        pdf = tmp_path / f"closing-{extra}.pdf"
        HTML(string=html, base_url=str(tmp_path)).write_pdf(pdf)
        for page in pages(str(pdf)):
            lines = body_lines(page)
            assert not lines or not lines[0].startswith("特此通报"), extra
        closing = [p for p in pages(str(pdf)) if any("特此通报" in ln for ln in p)]
        assert any("7．统计口径和评价规则" in ln for ln in closing[0]), extra
