"""Building, editing and circulating bulletins; the PDF read back."""

import subprocess
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from inspections import bulletins
from inspections.models import Bulletin, Notification, YearSequence
from tests import factories

from .conftest import START, TODAY, signed

B = Bulletin.Status


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ready(district, office) -> Bulletin:
    draft = bulletins.create_bulletin(actor=office, start=START, end=TODAY)
    built = bulletins.build(draft.pk)
    assert built.status == B.READY, built.error
    return built


@pytest.fixture
def approved(ready, office, leader) -> Bulletin:
    return signed(ready.pk, office, leader)


def pdftext(path: str) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.mark.django_db
def test_build_stores_figures_rules_texts_and_files(ready, district):
    assert ready.stats["summary"]["found"]["value"] == 6
    assert (
        ready.title
        == "铁西区安全生产委员会办公室关于2026年5月16日至6月15日安全生产隐患排查治理情况的通报"
    )
    rules = ready.stats["rules"]
    assert [e["department"] for e in rules["veto"]] == ["区应急管理局", "区消防救援大队"]
    assert {e["department"] for e in rules["criticise"]} == {"区应急管理局", "区消防救援大队"}
    assert rules["config"]["praise_min_rate"] == "0.95"
    assert ready.narrative.startswith("一是隐患整改不及时") and ready.requirements
    assert Path(ready.pdf.path).read_bytes().startswith(b"%PDF")
    sheet = load_workbook(ready.attachment.path)["逾期未整改隐患"]
    numbers = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert numbers == [district.hazards[k].number for k in ("h0b", "h2", "h6")]


@pytest.mark.django_db
def test_circulated_pdf_has_title_number_figures_and_embedded_chinese_font(approved, office):
    circulated = bulletins.circulate(bulletin_id=approved.pk, actor=office)
    assert circulated.number == "铁安委办〔2026〕1号"
    path = circulated.pdf.path
    text = pdftext(path)
    flat = "".join(text.split())
    assert "区安全生产委员会办公室" in flat
    assert "关于2026年5月16日至6月15日安全生产隐患排查治理情况的通报" in flat
    assert "铁安委办〔2026〕1号" in flat  # U+3014 / U+3015
    # No records at all in the same period of last year: no 同比 rather than "增加6项".
    assert "发现隐患6项，其中一般隐患4项、重大隐患2项" in flat
    assert "去年同期（2025年5月16日至6月15日）无检查和隐患记录，不作同比" in flat
    assert "逾期未整改3项" in flat and "整改率40.0%" in flat
    assert "特此通报。" in flat and "2026年6月15日" in flat
    assert "附件1" in flat
    assert "草稿" not in flat
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line and "SC" in line]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk)  # embedded (subset) fonts


@pytest.mark.django_db
def test_draft_pdf_is_marked_draft_and_unnumbered(ready):
    flat = "".join(pdftext(ready.pdf.path).split())
    assert "草稿·未印发" in flat and "印发时编号" in flat


@pytest.mark.django_db
def test_numbers_follow_each_other_per_year_without_gaps(district, office, leader):
    numbers = []
    for _ in range(3):
        b = bulletins.build(bulletins.create_bulletin(actor=office, start=START, end=TODAY).pk)
        signed(b.pk, office, leader)
        numbers.append(bulletins.circulate(bulletin_id=b.pk, actor=office).number)
    assert numbers == [f"铁安委办〔2026〕{n}号" for n in (1, 2, 3)]


@pytest.mark.django_db
def test_failed_render_at_circulation_gives_the_number_back(approved, office):
    with (
        mock.patch.object(bulletins, "render_pdf", side_effect=RuntimeError("排版失败")),
        pytest.raises(RuntimeError),
    ):
        bulletins.circulate(bulletin_id=approved.pk, actor=office)
    approved.refresh_from_db()
    assert approved.status == B.APPROVED and approved.number is None
    assert not YearSequence.objects.filter(name="bulletin", last__gt=0).exists()
    assert bulletins.circulate(bulletin_id=approved.pk, actor=office).seq == 1


@pytest.mark.django_db
def test_circulated_bulletin_is_immutable(approved, office):
    ready = approved
    bulletins.circulate(bulletin_id=ready.pk, actor=office)
    with pytest.raises(bulletins.BulletinError, match="不能修改"):
        bulletins.update_texts(bulletin_id=ready.pk, actor=office, narrative="改一下")
    with pytest.raises(bulletins.BulletinError, match="不能再次印发"):
        bulletins.circulate(bulletin_id=ready.pk, actor=office)
    with pytest.raises(bulletins.BulletinError, match="不能重新生成"):
        bulletins.regenerate(bulletin_id=ready.pk, actor=office)
    before = Bulletin.objects.get(pk=ready.pk)
    assert bulletins.build(ready.pk).stats == before.stats  # a retried build is a no-op


@pytest.mark.django_db
def test_correction_is_a_new_bulletin_that_supersedes(approved, office, leader):
    original = bulletins.circulate(bulletin_id=approved.pk, actor=office)
    correction = bulletins.create_bulletin(
        actor=office, start=START, end=TODAY, supersedes=original
    )
    signed(bulletins.build(correction.pk).pk, office, leader)
    correction = bulletins.circulate(bulletin_id=correction.pk, actor=office)
    assert correction.number == "铁安委办〔2026〕2号"
    flat = "".join(pdftext(correction.pdf.path).split())
    assert "本通报更正并替代铁安委办〔2026〕1号" in flat


@pytest.mark.django_db
def test_only_a_circulated_bulletin_can_be_superseded(ready, office):
    with pytest.raises(bulletins.BulletinError):
        bulletins.create_bulletin(actor=office, start=START, end=TODAY, supersedes=ready)


@pytest.mark.django_db
def test_edit_keeps_figures_and_rerenders(ready, office):
    bulletins.update_texts(bulletin_id=ready.pk, actor=office, narrative="一是检查不细致。")
    rendered = bulletins.rerender(ready.pk)
    assert rendered.narrative == "一是检查不细致。"
    assert rendered.stats == ready.stats
    assert "一是检查不细致。" in "".join(pdftext(rendered.pdf.path).split())
    with pytest.raises(bulletins.BulletinError):
        bulletins.update_texts(bulletin_id=ready.pk, actor=office, stats="{}")


@pytest.mark.django_db
def test_only_office_creates_or_circulates(approved, leader, inspector_a):
    for user in (leader, inspector_a):
        with pytest.raises(bulletins.BulletinError):
            bulletins.create_bulletin(actor=user, start=START, end=TODAY)
        with pytest.raises(bulletins.BulletinError):
            bulletins.circulate(bulletin_id=approved.pk, actor=user)


@pytest.mark.django_db
def test_circulation_notifies_every_user_in_one_insert(
    approved, office, leader, inspector_a, django_assert_max_num_queries
):
    bulletins.circulate(bulletin_id=approved.pk, actor=office)
    notified = set(
        Notification.objects.filter(kind=Notification.Kind.BULLETIN).values_list(
            "user__username", flat=True
        )
    )
    assert {"office_u", "leader_u", "insp_a"} <= notified


@pytest.mark.django_db
def test_build_failure_is_recorded(district, office):
    draft = bulletins.create_bulletin(actor=office, start=START, end=TODAY)
    with mock.patch.object(bulletins, "render_pdf", side_effect=ValueError("字体缺失")):
        failed = bulletins.build(draft.pk)
    assert failed.status == B.FAILED and "字体缺失" in failed.error
    assert bulletins.build(draft.pk).status == B.READY  # retry after the cause is fixed


@pytest.mark.django_db
def test_monthly_auto_draft_runs_once(district, office):
    import datetime

    first = bulletins.auto_draft_previous_month(today=datetime.date(2026, 7, 1))
    assert (first.period_start, first.period_end) == (
        datetime.date(2026, 6, 1),
        datetime.date(2026, 6, 30),
    )
    assert first.title == "铁西区安全生产委员会办公室关于2026年6月安全生产隐患排查治理情况的通报"
    assert bulletins.auto_draft_previous_month(today=datetime.date(2026, 7, 1)) is None


@pytest.mark.django_db
def test_build_bulletin_command_prints_the_pdf_path_last(district, office, capsys):
    call_command("build_bulletin", "--start", START.isoformat(), "--end", TODAY.isoformat())
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.endswith(".pdf") and Path(last).read_bytes().startswith(b"%PDF")
    assert Bulletin.objects.get().status == B.READY


@pytest.mark.django_db
def test_campaign_title(district, office):
    from inspections.models import Campaign

    campaign = Campaign.objects.create(
        name="中秋国庆节前安全生产大检查", start_date=START, end_date=TODAY, created_by=office
    )
    area = factories.area("兴华街道")
    b = bulletins.create_bulletin(
        actor=office, start=START, end=TODAY, campaign=campaign, area=area
    )
    assert b.title == "铁西区安全生产委员会办公室关于兴华街道中秋国庆节前安全生产大检查情况的通报"


def test_monthly_draft_is_on_the_beat_schedule_with_a_registered_task(settings):
    from anjian.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["monthly-bulletin-draft"]
    assert entry["task"] in app.tasks
    assert entry["schedule"].day_of_month == {1}


@pytest.mark.django_db
def test_auto_draft_task_drafts_and_builds(district, office, django_capture_on_commit_callbacks):
    from inspections.tasks.bulletins import auto_draft_bulletin_task

    with django_capture_on_commit_callbacks(execute=True):
        auto_draft_bulletin_task.delay()
    drafted = Bulletin.objects.get()
    assert drafted.period_start.isoformat() == "2026-05-01" and drafted.status == B.READY


@pytest.mark.django_db
def test_a_backlog_beyond_the_annex_cap_lists_the_period_and_each_department(
    district, office, login, settings
):
    """Beyond BULLETIN_ANNEX_MAX_ROWS the annex lists the overdue hazards found in the period
    (all of them) and every department's whole backlog with the ledger link that lists it."""
    settings.BULLETIN_ANNEX_MAX_ROWS = 2
    settings.BULLETIN_PDF_LIST_CAP = 1
    draft = bulletins.create_bulletin(actor=office, start=START, end=TODAY)
    built = bulletins.build(draft.pk)
    assert built.status == B.READY, built.error
    assert built.stats["annex"]["overdue_full"] is False
    book = load_workbook(built.attachment.path)
    sheet = book["逾期未整改隐患"]
    heading = sheet.cell(1, 1).value
    assert "本期" in heading and "逾期未整改隐患共3项" in heading
    numbers = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    # h0b (found before the period) is the backlog's, not listed; h2 and h6 are the period's.
    assert numbers == [district.hazards[k].number for k in ("h2", "h6")]
    summary = list(book["逾期隐患分部门汇总"].iter_rows(min_row=3, values_only=True))
    assert [row[:4] for row in summary] == [
        ("区消防救援大队", 2, 2, 1),
        ("区应急管理局", 1, 1, 1),
        ("合计", 3, 3, 2),
    ]
    client = login(office)
    for *_, link in summary:
        ledger = client.get(link)
        assert ledger.status_code == 200, link
    counts = [client.get(row[4]).context["paginator"].count for row in summary]
    assert counts == [2, 1, 3]
    flat = "".join(pdftext(built.pdf.path).split())
    assert "逾期隐患超过2项" in flat and "列出其中本期排查发现的2项和各部门逾期数量汇总" in flat
