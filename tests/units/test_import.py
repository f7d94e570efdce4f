"""Unit import from .xlsx: upload → preview → confirm, all-or-nothing, errors per row and column."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories
from units.models import Unit
from units.validators import make_credit_code

HEADERS = [
    "单位名称",
    "统一社会信用代码",
    "行业类别",
    "属地（街道）",
    "地址",
    "第一责任人",
    "联系电话",
    "安全联系人",
    "安全联系人电话",
    "牵头部门",
    "经营状态",
    "是否非法场所",
]


def code(n: int) -> str:
    return make_credit_code("91210106", f"{n + 70_000_000:08d}")


def row(name: str, credit_code: str = "", **overrides) -> list:
    values = {
        "单位名称": name,
        "统一社会信用代码": credit_code,
        "行业类别": "工矿企业",
        "属地（街道）": "兴华街道",
        "地址": "兴华南街1号",
        "第一责任人": "张三",
        "联系电话": "13800138000",
        "安全联系人": "",
        "安全联系人电话": "",
        "牵头部门": "",
        "经营状态": "",
        "是否非法场所": "",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def workbook_bytes(rows: list[list], headers: list[str] = HEADERS, title_rows=()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for title in title_rows:
        sheet.append([title])
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name: str = "台账.xlsx"):
    return client.post(reverse("units:import"), {"file": SimpleUploadedFile(name, content)})


def confirm(client):
    token = client.session["unit_import"]["token"]
    return client.post(reverse("units:import_confirm"), {"token": token})


def issues(response) -> list[tuple]:
    return [(i.row, i.column, i.message) for i in response.context["report"].errors]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def area(db):
    return factories.area("兴华街道")


@pytest.mark.django_db
def test_office_imports_units_after_preview(login, office, area, media):
    client = login(office)
    content = workbook_bytes(
        [
            row("鸿兴机械厂", code(1)),
            row(
                "北二路3号楼",
                行业类别="居民楼（无物业小区）",
                牵头部门="消防",
                经营状态="停产整顿",
                安全联系人="李四",
                安全联系人电话="024-12345678",
            ),
            row("城西黑加工点", 行业类别="家具市场", 是否非法场所="是", 经营状态="关闭取缔"),
        ]
    )
    response = upload(client, content)
    assert response.status_code == 302 and response.url == reverse("units:import_preview")
    assert len(list((media / "imports").glob("*.xlsx"))) == 1

    preview = client.get(reverse("units:import_preview"))
    assert preview.status_code == 200
    assert preview.context["report"].ok and issues(preview) == []
    assert "确认导入 3 家单位" in preview.content.decode()
    assert not Unit.objects.exists()

    done = confirm(client)
    assert done.status_code == 302 and done.url == reverse("units:list")
    factory = Unit.objects.get(name="鸿兴机械厂")
    assert factory.credit_code == code(1)
    assert factory.category.code == "industrial" and factory.area == area
    # Blank 牵头部门: the category's default lead department.
    assert factory.lead_department.short_name == "应急管理局"
    assert factory.status == Unit.Status.OPERATING and not factory.is_illegal
    building = Unit.objects.get(name="北二路3号楼")
    assert building.lead_department.short_name == "消防"
    assert building.status == Unit.Status.SUSPENDED and building.credit_code == ""
    assert building.safety_contact_phone == "024-12345678"
    illegal = Unit.objects.get(name="城西黑加工点")
    assert illegal.is_illegal and illegal.status == Unit.Status.CLOSED
    # The upload is gone once imported, and so is the session's claim on it.
    assert list((media / "imports").iterdir()) == []
    assert "unit_import" not in client.session


@pytest.mark.django_db
def test_an_upload_spooled_to_disk_is_read_the_same(login, office, settings, area):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload becomes a TemporaryUploadedFile
    client = login(office)
    assert upload(client, workbook_bytes([row("甲", code(1))])).status_code == 302
    assert client.get(reverse("units:import_preview")).context["report"].ok


@pytest.mark.django_db
def test_any_bad_row_imports_nothing_and_names_row_column_and_reason(login, office, area):
    client = login(office)
    bad_check_digit = code(2)[:17] + ("0" if code(2)[17] != "0" else "1")
    content = workbook_bytes(
        [
            row("好单位", code(1)),
            row("校验位错", bad_check_digit),
            row("类别不存在", code(3), 行业类别="宇宙飞船"),
            row("电话错", code(4), 联系电话="1380013800"),
            row("缺地址", code(5), 地址=""),
            row("街道不存在", code(6), **{"属地（街道）": "火星街道"}),
            row("状态错", code(7), 经营状态="歇业中", 牵头部门="不存在局"),
            row("化工厂无代码", 行业类别="医药化工企业"),
        ],
        title_rows=["某区生产经营单位台账（2026年）"],
    )
    upload(client, content)
    preview = client.get(reverse("units:import_preview"))
    found = issues(preview)
    # The title line is row 1, the header row 2, so the first data row is Excel row 3.
    assert preview.context["report"].sheet.header_row == 2
    assert (4, "统一社会信用代码") in [(r, c) for r, c, _ in found]
    assert any(r == 4 and "第18位应为" in m for r, _, m in found)
    assert (
        5,
        "行业类别",
        "系统中没有名为“宇宙飞船”的行业类别（可选值见导入模板的“填写说明”）",
    ) in found
    assert any(r == 6 and c == "联系电话" and "电话格式不正确" in m for r, c, m in found)
    assert (7, "地址", "必填项为空") in found
    assert any(r == 8 and c == "属地（街道）" and "火星街道" in m for r, c, m in found)
    assert (9, "经营状态", "只能填写：在营、停产整顿、关闭取缔") in found
    assert any(r == 9 and c == "牵头部门" and "不存在局" in m for r, c, m in found)
    # Within a row, problems follow the template's column order.
    assert [c for r, c, _ in found if r == 9] == ["牵头部门", "经营状态"]
    assert any(r == 10 and c == "统一社会信用代码" and "必须填写" in m for r, c, m in found)
    assert 3 not in {r for r, _, _ in found}
    page = preview.content.decode()
    assert "本次不会导入任何单位" in page and "宇宙飞船" in page
    assert 'data-testid="confirm-import"' not in page

    # Posting the confirm anyway (bypassing the missing button) still imports nothing.
    response = confirm(client)
    assert response.status_code == 200
    assert response.context["report"].bad_rows == 7
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_duplicate_codes_inside_the_file_and_against_the_database(login, office, area):
    existing = factories.unit(name="已登记单位")
    client = login(office)
    content = workbook_bytes(
        [
            row("甲", code(1)),
            row("乙", code(1).lower()),  # same code, typed in lower case
            row("丙", existing.credit_code),
            row("丁", code(4)),
        ]
    )
    upload(client, content)
    found = issues(client.get(reverse("units:import_preview")))
    assert found == [
        (3, "统一社会信用代码", "与第2行的统一社会信用代码重复（文件内重复）"),
        (4, "统一社会信用代码", "该统一社会信用代码已被系统中的单位“已登记单位”使用"),
    ]
    confirm(client)
    assert list(Unit.objects.values_list("name", flat=True)) == ["已登记单位"]


@pytest.mark.django_db
def test_header_and_value_aliases_offices_use_are_accepted(login, office, area):
    client = login(office)
    headers = [
        "序号",
        "单位名称",
        "信用代码",
        "行业领域",
        "属地\n（镇街）",
        "地址",
        "法定代表人",
        "第一责任人电话",
        "监管部门",
        "是否非法场所",
    ]
    rows = [
        [
            1,
            "兴华小区5号楼",
            None,
            "居民楼",
            "兴华",
            "兴华北街5号",
            "王五",
            13900001111,
            "区住房和城市更新局",
            "否",
        ],
        [
            2,
            "夜色KTV",
            code(2),
            "文化娱乐场所",
            "兴华街道办事处",
            "兴华路8号",
            "赵六",
            "024-87654321",
            "文旅",
            None,
        ],
        [
            3,
            "城东三合一",
            code(3),
            "三合一场所",
            "兴华街道",
            "东路1号",
            "钱七",
            "13900002222",
            "消防救援大队",
            "√",
        ],
        # Numbered in advance but never filled in: not a data row.
        [4, None, None, None, None, None, None, None, None, None],
        [5],
    ]
    upload(client, workbook_bytes(rows, headers=headers))
    preview = client.get(reverse("units:import_preview"))
    assert issues(preview) == []
    assert preview.context["report"].row_count == 3
    assert preview.context["report"].sheet.ignored == ["序号"]
    assert preview.context["report"].sheet.headers["area"] == "属地\n（镇街）"
    confirm(client)
    building = Unit.objects.get(name="兴华小区5号楼")
    assert building.category.code == "residential" and building.area == area
    # A phone typed as a number comes back without ".0".
    assert building.legal_rep_phone == "13900001111"
    assert building.lead_department.short_name == "住房"
    assert Unit.objects.get(name="夜色KTV").lead_department.short_name == "文旅"
    three_in_one = Unit.objects.get(name="城东三合一")
    assert three_in_one.category.code == "three-in-one" and three_in_one.is_illegal
    assert three_in_one.lead_department.short_name == "消防"


@pytest.mark.django_db
def test_alternative_header_spellings(login, office, area):
    client = login(office)
    headers = [
        "企业名称",
        "统一社会信用代码（18位）",
        "场所类别",
        "街道",
        "地址",
        "第一责任人",
        "联系电话*",
    ]
    upload(
        client,
        workbook_bytes(
            [["某商场", code(9), "商场超市", "兴华街道", "x路1号", "孙八", "13800138000"]], headers
        ),
    )
    assert issues(client.get(reverse("units:import_preview"))) == []
    confirm(client)
    assert Unit.objects.get(name="某商场").category.code == "mall"


@pytest.mark.django_db
def test_missing_required_column_is_reported_for_the_file(login, office, area):
    client = login(office)
    headers = ["单位名称", "行业类别", "属地", "地址", "第一责任人"]
    upload(client, workbook_bytes([["甲", "工矿企业", "兴华街道", "x", "张三"]], headers))
    preview = client.get(reverse("units:import_preview"))
    assert "第1行表头缺少必需的列：联系电话" in preview.context["file_error"]
    assert 'data-testid="confirm-import"' not in preview.content.decode()


@pytest.mark.django_db
def test_credit_code_stored_as_a_number_is_an_error(login, office, area):
    client = login(office)
    upload(client, workbook_bytes([row("数字代码", 912101067000000123)]))
    found = issues(client.get(reverse("units:import_preview")))
    assert found[0][:2] == (2, "统一社会信用代码") and "文本" in found[0][2]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("units.csv", "单位名称,地址\n甲,x\n".encode(), "不是 Excel .xlsx 格式"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧版 Excel（.xls）"),
        ("fake.xlsx", b"PK\x03\x04 not really a zip", "不是有效的 Excel .xlsx 文件"),
    ],
)
def test_files_that_are_not_xlsx_are_rejected(login, office, media, name, content, reason):
    response = upload(login(office), content, name)
    assert response.status_code == 200
    assert reason in response.context["form"].errors["file"][0]
    assert reason in response.content.decode()
    assert not (media / "imports").exists()


@pytest.mark.django_db
def test_zip_that_is_no_workbook_is_rejected(login, office):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "不是工作簿")
    response = upload(login(office), buffer.getvalue(), "a.xlsx")
    assert "不是有效的 Excel .xlsx 文件" in response.context["form"].errors["file"][0]


@pytest.mark.django_db
def test_oversize_upload_is_rejected(login, office, settings, media, area):
    content = workbook_bytes([row("甲", code(1))])
    settings.IMPORT_MAX_BYTES = len(content) - 1
    response = upload(login(office), content)
    assert response.status_code == 200
    assert "文件过大" in response.context["form"].errors["file"][0]
    assert not (media / "imports").exists()
    settings.IMPORT_MAX_BYTES = len(content)
    assert upload(login(office), content).status_code == 302


@pytest.mark.django_db
def test_row_cap_is_enforced_with_a_clear_message(login, office, settings, area):
    settings.IMPORT_MAX_ROWS = 3
    client = login(office)
    upload(client, workbook_bytes([row(f"单位{n}", code(n)) for n in range(4)]))
    preview = client.get(reverse("units:import_preview"))
    assert "数据超过3行的上限" in preview.context["file_error"]


@pytest.mark.django_db
def test_org_code_warning_is_listed_and_confirming_imports_anyway(login, office, area):
    # Some registered codes fail the GB 11714 check of the 17th character; the office decides.
    from units.validators import credit_check_char, credit_code_warning, org_code_check_char

    wrong = "0" if org_code_check_char("MA0Q7X3B") != "0" else "1"
    first17 = "91210106MA0Q7X3B" + wrong
    suspicious = first17 + credit_check_char(first17)
    assert credit_code_warning(suspicious)
    client = login(office)
    upload(client, workbook_bytes([row("存疑代码单位", suspicious)]))
    preview = client.get(reverse("units:import_preview"))
    assert issues(preview) == []
    warnings = preview.context["report"].warnings
    assert [(w.row, w.column) for w in warnings] == [(2, "统一社会信用代码")]
    assert "第17位" in warnings[0].message and "确认导入即视为已核实" in warnings[0].message
    confirm(client)
    assert Unit.objects.get(name="存疑代码单位").credit_code == suspicious


@pytest.mark.django_db
def test_confirm_revalidates_against_data_added_after_the_preview(login, office, area):
    client = login(office)
    upload(client, workbook_bytes([row("甲", code(1)), row("乙", code(2))]))
    assert client.get(reverse("units:import_preview")).context["report"].ok
    factories.unit(name="抢先登记", credit_code=code(2))
    response = confirm(client)
    assert response.status_code == 200
    assert issues(response) == [
        (3, "统一社会信用代码", "该统一社会信用代码已被系统中的单位“抢先登记”使用")
    ]
    assert "数据可能在预览后发生了变化" in response.content.decode()
    assert list(Unit.objects.values_list("name", flat=True)) == ["抢先登记"]


@pytest.mark.django_db
def test_second_confirm_and_forged_token_import_nothing(login, office, area):
    client = login(office)
    upload(client, workbook_bytes([row("甲", code(1))]))
    token = client.session["unit_import"]["token"]
    forged = client.post(reverse("units:import_confirm"), {"token": "x" * 32})
    assert forged.status_code == 302 and not Unit.objects.exists()
    assert client.post(reverse("units:import_confirm"), {"token": token}).status_code == 302
    again = client.post(reverse("units:import_confirm"), {"token": token})
    assert again.status_code == 302 and again.url == reverse("units:import")
    assert Unit.objects.count() == 1


@pytest.mark.django_db
def test_a_new_upload_replaces_the_pending_one(login, office, media, area):
    client = login(office)
    upload(client, workbook_bytes([row("甲", code(1))]))
    first = client.session["unit_import"]["token"]
    upload(client, workbook_bytes([row("乙", code(2))]))
    assert [p.stem for p in (media / "imports").iterdir()] == [
        client.session["unit_import"]["token"]
    ]
    stale = client.post(reverse("units:import_confirm"), {"token": first})
    assert stale.url == reverse("units:import") and not Unit.objects.exists()


@pytest.mark.django_db
def test_template_has_every_header_and_its_example_row_is_refused(login, office, area):
    client = login(office)
    response = client.get(reverse("units:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content)
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook["单位导入"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet["A2"].value.startswith("示例")
    assert "工矿企业" in [c.value for c in workbook["填写说明"]["A"]]
    # Filled in exactly as shipped, the example row imports nothing.
    upload(client, content)
    found = issues(client.get(reverse("units:import_preview")))
    assert found == [(2, "单位名称", "这是模板中的示例行，请删除后再导入")]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["inspector_a", "supervisor", "leader"])
def test_only_office_and_admin_may_import(request, client, persona, area):
    client.force_login(request.getfixturevalue(persona))
    content = workbook_bytes([row("甲", code(1))])
    assert client.get(reverse("units:import")).status_code == 403
    assert upload(client, content).status_code == 403
    assert client.get(reverse("units:import_preview")).status_code == 403
    assert client.post(reverse("units:import_confirm"), {"token": "x" * 32}).status_code == 403
    assert client.get(reverse("units:import_template")).status_code == 403
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_admin_may_import(login, admin_user, area):
    client = login(admin_user)
    upload(client, workbook_bytes([row("甲", code(1))]))
    confirm(client)
    assert Unit.objects.filter(name="甲").exists()


@pytest.mark.django_db
def test_preview_query_count_does_not_grow_with_rows(
    login, office, area, django_assert_max_num_queries
):
    client = login(office)
    counts = []
    for rows in (3, 60):
        upload(client, workbook_bytes([row(f"单位{n}", code(n)) for n in range(rows)]))
        # The import's own: categories, areas, departments, one credit-code lookup; the rest is
        # the page's (session, user, department, navigation).
        with django_assert_max_num_queries(8) as captured:
            response = client.get(reverse("units:import_preview"))
        assert len(response.context["report"].units) == rows
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_unit_list_shows_import_only_to_the_office(login, office, inspector_a):
    office_page = login(office).get(reverse("units:list")).content.decode()
    assert reverse("units:import") in office_page and reverse("units:export") in office_page
    inspector_page = login(inspector_a).get(reverse("units:list")).content.decode()
    assert reverse("units:import") not in inspector_page
    assert reverse("units:export") in inspector_page
