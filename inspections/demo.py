"""A year of demo history ending today: campaigns, inspections, hazards in every state,
enforcement actions and accidents.

Every hazard travels through inspections.workflow, so its events are the real ones. The
workflow stamps events with the current time; to spread a year of history over the calendar,
this seeding code moves each new event's `created_at` (and the hazard's own timestamps) to the
simulated moment with a queryset update. That is the only place an existing event is touched:
HazardEvent.save() refuses updates, and nothing outside seeding may do this.
"""

import datetime
import functools
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from PIL import Image, ImageDraw

from units.models import Area, Category, Department, Unit, User
from units.validators import make_credit_code

from . import workflow
from .models import (
    Accident,
    Campaign,
    DeadlineExtension,
    DutyShift,
    Hazard,
    HazardEvent,
    Inspection,
    YearSequence,
)
from .photos import save_photo

S = Hazard.Status
INSPECTORS = ["fire1", "fire2", "safety1", "safety2", "build1", "street1"]
INSPECTIONS = 600

HAZARD_TEXTS = {
    Hazard.Type.FIRE: [
        ("疏散通道堆放杂物，安全出口被锁闭", "疏散通道", "《消防法》第二十八条"),
        ("灭火器压力不足、过期未检", "一层大厅", "《消防法》第十六条"),
        ("消防应急照明和疏散指示标志损坏", "楼梯间", "GB 51309-2018"),
        ("室内消火栓无水带、水枪", "二层走廊", "《消防法》第十六条"),
        ("员工宿舍设在生产车间内（三合一）", "车间夹层", "《消防法》第十九条"),
        ("电动自行车在楼道内停放充电", "楼道", "《高层民用建筑消防安全管理规定》第三十七条"),
    ],
    Hazard.Type.ELECTRICAL: [
        ("私拉乱接电线，配电箱无漏电保护", "配电室", "GB 50054-2011"),
        ("电气线路未穿管保护，老化破损", "仓库", "GB 50054-2011"),
    ],
    Hazard.Type.SPECIAL_EQUIPMENT: [
        ("电梯超期未检验", "电梯机房", "《特种设备安全法》第四十条"),
        ("叉车司机无证操作", "装卸区", "《特种设备安全法》第十四条"),
    ],
    Hazard.Type.HAZCHEM: [
        ("危化品仓库超量储存，禁忌物料混存", "危化品库", "《危险化学品安全管理条例》第二十四条"),
        ("可燃气体报警装置失效", "反应车间", "GB/T 50493-2019"),
    ],
    Hazard.Type.CONSTRUCTION: [
        ("脚手架连墙件缺失，剪刀撑不连续", "3号楼外架", "JGJ 130-2011"),
        ("基坑临边防护缺失", "基坑东侧", "JGJ 80-2016"),
        ("塔吊限位装置失效", "1号塔吊", "GB 5144-2006"),
    ],
    Hazard.Type.TRAFFIC: [("客车安全锤缺失，应急门无法开启", "停车场", "《道路运输条例》")],
    Hazard.Type.MACHINERY: [
        ("冲床无双手操作防护装置", "冲压车间", "GB 5091-2011"),
        ("传动皮带无防护罩", "机加车间", "GB/T 8196-2018"),
    ],
    Hazard.Type.OTHER: [
        ("安全生产责任制未建立，未开展安全培训", "办公室", "《安全生产法》第二十二条")
    ],
}
# What a 重大 hazard of each type looks like, with the clause of the standard that makes it one
# (判定依据): an expired extinguisher is never 重大. Types without a listed major case
# use the first.
MAJOR_HAZARD_TEXTS = {
    Hazard.Type.FIRE: [
        (
            "人员密集场所疏散楼梯被封堵，二层以上仅剩一个安全出口可用",
            "二至四层疏散楼梯",
            "《消防法》第二十八条",
            "依据GB 35181-2017《重大火灾隐患判定方法》直接判定：人员密集场所安全出口数量不足",
        ),
        (
            "生产车间内设员工宿舍，住宿与生产、储存未分隔（三合一）",
            "车间夹层",
            "《消防法》第十九条",
            "依据GB 35181-2017《重大火灾隐患判定方法》：生产、储存场所内设置员工宿舍且未分隔",
        ),
    ],
    Hazard.Type.HAZCHEM: [
        (
            "涉及重点监管危险化工工艺的反应釜未实现自动化控制，紧急停车系统未投用",
            "反应车间",
            "《危险化学品安全管理条例》第二十条",
            "依据《化工和危险化学品生产经营单位重大生产安全事故隐患判定标准（试行）》："
            "重点监管危险化工工艺装置未实现自动化控制",
        ),
    ],
    Hazard.Type.CONSTRUCTION: [
        (
            "深基坑未按专项施工方案施工，支护结构出现明显变形、坑边堆载超限",
            "基坑东侧",
            "JGJ 120-2012",
            "依据《房屋市政工程生产安全重大事故隐患判定标准（2022版）》：基坑支护结构出现明显变形",
        ),
        (
            "塔吊起重力矩限制器、起升高度限位装置失效",
            "1号塔吊",
            "GB 5144-2006",
            "依据《房屋市政工程生产安全重大事故隐患判定标准（2022版）》：起重机械安全装置失效",
        ),
    ],
    Hazard.Type.SPECIAL_EQUIPMENT: [
        (
            "载人电梯超期未检验且制动器失效仍在使用",
            "电梯机房",
            "《特种设备安全法》第四十条",
            "依据《特种设备安全法》第四十条和特种设备重大事故隐患判定规定：超期未检且安全装置失效仍在使用",
        ),
    ],
    Hazard.Type.MACHINERY: [
        (
            "冲压设备安全联锁失效，操作人员在模具区内作业",
            "冲压车间",
            "GB 5091-2011",
            "依据《工贸企业重大事故隐患判定标准》（应急管理部令第10号）：冲压设备安全防护装置失效",
        ),
    ],
    Hazard.Type.ELECTRICAL: [
        (
            "粉尘爆炸危险场所使用非防爆电气设备，除尘系统未设锁气卸灰装置",
            "抛光车间",
            "GB 15577-2018",
            "依据《工贸企业重大事故隐患判定标准》（应急管理部令第10号）：粉尘涉爆场所使用非防爆电气设备",
        ),
    ],
    Hazard.Type.OTHER: [
        (
            "有限空间作业未执行作业审批，未检测、未通风即进入作业",
            "污水池",
            "《安全生产法》第四十三条",
            "依据《工贸企业重大事故隐患判定标准》（应急管理部令第10号）：有限空间作业未审批、未检测",
        ),
    ],
    Hazard.Type.TRAFFIC: [
        (
            "营运客车安全带、应急门失效且驾驶人无从业资格证驾驶",
            "停车场",
            "《道路运输条例》",
            "依据《道路运输企业和城市客运企业安全生产重大事故隐患判定标准（试行）》："
            "驾驶人无从业资格驾驶营运客车",
        ),
    ],
}

# Which hazard types an inspector of each department mostly finds.
DEPARTMENT_TYPES = {
    "消防": [Hazard.Type.FIRE] * 4 + [Hazard.Type.ELECTRICAL],
    "应急管理局": [
        Hazard.Type.HAZCHEM,
        Hazard.Type.MACHINERY,
        Hazard.Type.ELECTRICAL,
        Hazard.Type.OTHER,
    ],
    "城建": [Hazard.Type.CONSTRUCTION] * 3 + [Hazard.Type.ELECTRICAL],
    "兴华街道": [
        Hazard.Type.FIRE,
        Hazard.Type.ELECTRICAL,
        Hazard.Type.SPECIAL_EQUIPMENT,
        Hazard.Type.OTHER,
    ],
}


def _last(today: datetime.date, month: int, day: int) -> datetime.date:
    """The latest date with this month and day that is not after today."""
    date = datetime.date(today.year, month, day)
    return date if date <= today else datetime.date(today.year - 1, month, day)


def _at(date: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(hour, minute)))


def _jpeg(rng: random.Random, label: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (160, 120), tuple(rng.randint(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 150, 110), outline=(255, 255, 255), width=3)
    draw.text((20, 50), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return SimpleUploadedFile(f"{label}.jpg", buffer.getvalue(), content_type="image/jpeg")


@dataclass
class History:
    rng: random.Random
    today: datetime.date
    users: dict[str, User]
    office: User
    supervisor: User
    now: datetime.datetime
    listed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    # Each hazard's latest event time: its events stay in call order on the timeline.
    stamps: dict[int, datetime.datetime] = field(default_factory=dict)

    def colleague(self, user: User) -> User:
        """Who verifies: a second inspector of the department, else the office."""
        pairs = {"fire1": "fire2", "fire2": "fire1", "safety1": "safety2", "safety2": "safety1"}
        return self.users[pairs[user.username]] if user.username in pairs else self.office

    def at(self, when: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        """A local time on `when`, never after the moment of seeding: run before 17:00 in
        Beijing, "today at 17:00" would be a timestamp in the future."""
        return min(_at(when, hour, minute), self.now)

    def run(self, when: datetime.date, hour: int, call, hazard_ids=()) -> datetime.datetime:
        """Run one workflow call and date the events it wrote at `when` (see module doc):
        never before the hazards' previous events, never after the moment of seeding."""
        stamp = _at(when, hour, self.rng.randint(0, 59))
        for pk in hazard_ids:
            if pk in self.stamps and stamp <= self.stamps[pk]:
                stamp = self.stamps[pk] + datetime.timedelta(minutes=self.rng.randint(5, 90))
        stamp = min(stamp, self.now)
        marker = HazardEvent.objects.aggregate(m=Max("id"))["m"] or 0
        call()
        HazardEvent.objects.filter(id__gt=marker).update(created_at=stamp)
        for pk in hazard_ids:
            self.stamps[pk] = stamp
        return stamp

    def step(self, hazard: Hazard, when: datetime.date, hour: int, call) -> Hazard | None:
        """`run` for one hazard: its fresh state, or None (nothing done) if `when` is ahead."""
        if when > self.today:
            return None
        self.run(when, hour, call, hazard_ids=[hazard.pk])
        return Hazard.objects.select_related("unit").get(pk=hazard.pk)

    def stamp(self, hazard: Hazard) -> datetime.datetime:
        return self.stamps[hazard.pk]


def _campaigns(today: datetime.date, office: User) -> list[tuple[Campaign, set[str]]]:
    """(campaign, target category codes), spread over the year that ends today."""
    categories = {c.code: c for c in Category.objects.all()}
    specs = [
        (
            "春节前安全生产大检查",
            _last(today, 1, 20),
            24,
            ["mall", "catering", "entertainment", "furniture-market", "paint-market"],
        ),
        ("建筑施工安全专项整治", _last(today, 4, 1), 90, ["construction"]),
        (
            "中秋国庆节前安全生产大检查",
            _last(today, 9, 1),
            30,
            ["mall", "entertainment", "mass-gathering", "scenic", "chemical", "three-in-one"],
        ),
        (
            "冬季消防安全专项检查",
            _last(today, 11, 1),
            60,
            ["residential", "three-in-one", "furniture-market", "paint-market"],
        ),
    ]
    result = []
    for name, start, length, codes in specs:
        campaign = Campaign.objects.create(
            name=f"{start.year}年{name}",
            start_date=start,
            end_date=start + datetime.timedelta(days=length),
            description="按照区安委会部署，各部门、各街道对照清单逐一排查，做到“说具体、讲明白”。",
            created_by=office,
        )
        campaign.categories.set([categories[c] for c in codes if c in categories])
        result.append((campaign, set(codes)))
    return result


def _units_by_inspector(users: dict[str, User]) -> dict[str, list[Unit]]:
    scope = {}
    for username in INSPECTORS:
        units = list(
            Unit.objects.visible_to(users[username]).select_related("category").order_by("pk")
        )
        scope[username] = units
    return scope


def _inspection_dates(rng: random.Random, today: datetime.date, campaigns) -> list[datetime.date]:
    # Up to yesterday: an inspection "today" would be stamped in the future before office hours.
    start = today - datetime.timedelta(days=365)
    days = [start + datetime.timedelta(days=i) for i in range(365)]
    # Weekdays, heavier inside campaigns and in the last weeks (the pages' "now").
    weights = []
    for day in days:
        weight = 1.0 if day.weekday() < 5 else 0.15
        if any(c.start_date <= day <= c.end_date for c, _ in campaigns):
            weight *= 2.5
        if (today - day).days < 45:
            weight *= 2.0
        weights.append(weight)
    return sorted(rng.choices(days, weights=weights, k=INSPECTIONS))


def seed_history() -> dict[str, int]:
    """Seed once after units and users exist. Deterministic (random.Random(2026))."""
    with transaction.atomic():
        return _seed()


def _seed() -> dict[str, int]:
    rng = random.Random(2026)
    today = timezone.localdate()
    users = {u.username: u for u in User.objects.select_related("department")}
    history = History(rng, today, users, users["office"], users["supervisor"], timezone.now())
    campaigns = _campaigns(today, history.office)
    scope = _units_by_inspector(users)
    dates = _inspection_dates(rng, today, campaigns)
    illegal_done: set[int] = set()
    created: list[tuple[Inspection, list[Hazard]]] = []

    for index, date in enumerate(dates):
        username = INSPECTORS[index % len(INSPECTORS)]
        inspector = users[username]
        units = scope[username]
        campaign = next((c for c, codes in campaigns if c.start_date <= date <= c.end_date), None)
        targets = next((codes for c, codes in campaigns if c == campaign), None)
        pool = [u for u in units if targets is None or u.category.code in targets]
        unit = rng.choice(pool or units)
        if unit.is_illegal and unit.pk in illegal_done:
            # An illegal site is found once and shut; it is not inspected again.
            unit = rng.choice([u for u in units if not u.is_illegal])
        inspection, hazards = _inspect(history, inspector, unit, date, campaign)
        if unit.is_illegal and hazards:
            illegal_done.add(unit.pk)
        created.append((inspection, hazards))

    # What the daily reminder job would have done: 督办 of everything overdue > 7 days.
    for hazard in (
        Hazard.objects.overdue(today - datetime.timedelta(days=7))
        .filter(escalated_at__isnull=True)
        .order_by("pk")
    ):
        _maybe_escalate(history, hazard)
    _enforcement(history, created)
    _accidents(history)
    _duty_roster(history)
    return {
        "campaigns": len(campaigns),
        "inspections": len(created),
        "hazards": Hazard.objects.count(),
        "events": HazardEvent.objects.count(),
        **history.counts,
    }


def _inspect(history: History, inspector: User, unit: Unit, date, campaign):
    rng = history.rng
    kind = (
        Inspection.Kind.SPECIAL
        if campaign
        else rng.choice(
            [Inspection.Kind.ROUTINE] * 6 + [Inspection.Kind.JOINT, Inspection.Kind.REINSPECTION]
        )
    )
    inspection = Inspection.objects.create(
        unit=unit,
        department=inspector.department,
        created_by=inspector,
        date=date,
        kind=kind,
        campaign=campaign,
        checked_items="消防通道、安全出口、灭火器材、用电线路、安全管理制度和台账",
        summary="现场检查，逐项核对，问题当场反馈单位负责人。",
    )
    inspection.inspectors.add(inspector)
    colleague = history.colleague(inspector)
    if colleague.role == User.Role.INSPECTOR and rng.random() < 0.5:
        inspection.inspectors.add(colleague)
    count = 0 if rng.random() < 0.12 else rng.choice([1, 1, 1, 2, 2, 3])
    if unit.is_illegal:
        count = max(count, 1)
    if count == 0:
        inspection.no_hazards = True
        inspection.summary = "未发现隐患，已督促单位落实日常巡查。"
        inspection.save(update_fields=["no_hazards", "summary"])
    dept_key = inspector.department.short_name
    drafts = []
    for _ in range(count):
        hazard_type = rng.choice(DEPARTMENT_TYPES.get(dept_key, list(HAZARD_TEXTS)))
        description, location, basis = rng.choice(HAZARD_TEXTS[hazard_type])
        major = not unit.is_illegal and rng.random() < 0.025
        fixed = not unit.is_illegal and not major and rng.random() < 0.07
        major_basis = ""
        if major:
            # Picked without the shared generator, so the rest of the year stays as it was.
            cases = MAJOR_HAZARD_TEXTS[hazard_type]
            description, location, basis, major_basis = cases[inspection.pk % len(cases)]
        drafts.append(
            Hazard.objects.create(
                inspection=inspection,
                unit=unit,
                found_on=date,
                description=description,
                location=location,
                legal_basis=basis,
                major_basis=major_basis,
                hazard_type=hazard_type,
                level=Hazard.Level.MAJOR if major else Hazard.Level.GENERAL,
                lead_department=unit.lead_department,
                fixed_on_spot=fixed,
                disposal=Hazard.Disposal.CLOSE if unit.is_illegal else "",
                deadline=None
                if unit.is_illegal or fixed
                else date + datetime.timedelta(days=rng.choice([7, 10, 15, 15, 20, 30])),
            )
        )
    hazard_ids = [h.pk for h in drafts]
    history.run(
        date,
        17,
        lambda: workflow.submit_inspection(inspection_id=inspection.pk, actor=inspector),
        hazard_ids=hazard_ids,
    )
    submitted = history.at(date, 17)
    Inspection.objects.filter(pk=inspection.pk).update(
        created_at=history.at(date, 9), submitted_at=submitted, updated_at=submitted
    )
    Hazard.objects.filter(inspection=inspection).update(created_at=submitted)
    hazards = list(
        Hazard.objects.filter(inspection=inspection).select_related("unit").order_by("pk")
    )
    for hazard in hazards:
        if rng.random() < 0.3:
            save_photo(hazard=hazard, upload=_jpeg(rng, "before"), kind="before", user=inspector)
    if len(hazards) >= 2 and hazards[1].status == S.REGISTERED and rng.random() < 0.06:
        duplicate = hazards.pop(1)
        history.step(
            duplicate,
            date + datetime.timedelta(days=1),
            10,
            lambda: workflow.merge(
                hazard_id=duplicate.pk,
                actor=history.office,
                version=duplicate.version,
                into_id=hazards[0].pk,
                note="同一问题重复登记",
            ),
        )
    for hazard in hazards:
        _lifecycle(history, hazard, inspector)
    return inspection, hazards


def _lifecycle(history: History, hazard: Hazard, inspector: User) -> None:
    """Take a registered hazard as far as its fate and the calendar allow."""
    rng, office, today = history.rng, history.office, history.today
    d0 = hazard.found_on
    age = (today - d0).days
    verifier = history.colleague(inspector)
    if hazard.status == S.DISPOSAL:  # illegal site: 关闭取缔, finished by the office later
        return
    if hazard.status == S.AWAITING_VERIFICATION:  # fixed on the spot
        _verify(history, hazard, verifier, d0 + datetime.timedelta(days=rng.randint(1, 5)))
        return

    r = rng.random()
    if r < 0.02:
        history.step(
            hazard,
            d0 + datetime.timedelta(days=1),
            10,
            lambda: workflow.reject(
                hazard_id=hazard.pk,
                actor=office,
                version=hazard.version,
                reason="经核实不属于安全隐患，系单位正常作业状态",
            ),
        )
        return
    if r < 0.035:
        history.step(
            hazard,
            d0 + datetime.timedelta(days=2),
            10,
            lambda: workflow.void(
                hazard_id=hazard.pk,
                actor=office,
                version=hazard.version,
                reason="录入错误，单位名称选错",
            ),
        )
        return

    d1 = d0 + datetime.timedelta(days=rng.randint(1, 3))
    deadline = hazard.deadline
    open_recent = age <= 25 and rng.random() < 0.4
    if open_recent:
        # Make the "due in the next days" and "just overdue" ledgers non-empty.
        deadline = max(d1, today + datetime.timedelta(days=rng.randint(-6, 3)))
    if rng.random() < 0.1:
        transfer_to = rng.choice(list(Department.objects.filter(kind=Department.Kind.REGULATOR)))
    else:
        transfer_to = None
    assigned = history.step(
        hazard,
        d1,
        9,
        lambda: workflow.assign(
            hazard_id=hazard.pk,
            actor=office,
            version=hazard.version,
            lead_department=hazard.lead_department,
            responsible_person=hazard.unit.legal_rep,
            responsible_phone=hazard.unit.legal_rep_phone,
            deadline=deadline,
            note="请按期整改，整改完成后报复查",
        ),
    )
    if assigned is None:
        return
    hazard = assigned
    if transfer_to and transfer_to.pk != hazard.lead_department_id:
        hazard = (
            history.step(
                hazard,
                d1,
                10,
                lambda: workflow.transfer(
                    hazard_id=hazard.pk,
                    actor=office,
                    version=hazard.version,
                    department=transfer_to,
                    note="属该部门行业监管范围，转办处理（期限不变）",
                ),
            )
            or hazard
        )
    if hazard.is_major:
        hazard = _major(history, hazard, inspector, d1) or hazard

    stall = rng.random() < (0.015 if age > 40 else 0.12)
    d2 = d1 + datetime.timedelta(days=rng.randint(0, 2))
    started = (
        history.step(
            hazard,
            d2,
            11,
            lambda: workflow.start_rectifying(
                hazard_id=hazard.pk,
                actor=inspector,
                version=hazard.version,
                plan="单位制定整改方案，明确责任人和完成时限",
            ),
        )
        if not (stall and rng.random() < 0.4)
        else None
    )
    if started is None:
        return
    hazard = started

    r = rng.random()
    if r < 0.05:
        hazard = _extension(history, hazard, inspector, d2) or hazard
    elif r < 0.09:
        _disposal(history, hazard, inspector, d2 + datetime.timedelta(days=rng.randint(2, 6)))
        return
    if stall or open_recent and rng.random() < 0.5:
        return

    d3 = d2 + datetime.timedelta(days=rng.randint(2, max(3, ((hazard.deadline or d2) - d2).days)))
    done = history.step(
        hazard,
        d3,
        16,
        lambda: workflow.report_done(
            hazard_id=hazard.pk,
            actor=inspector,
            version=hazard.version,
            note="已按要求整改完毕，附整改后照片",
            photos=[_jpeg(rng, "after")],
        ),
    )
    if done is None:
        return
    hazard = done
    Hazard.objects.filter(pk=hazard.pk).update(reported_done_at=history.stamp(hazard))
    d4 = d3 + datetime.timedelta(days=rng.randint(1, 4))
    if (today - d4).days <= 30 and rng.random() < 0.15 and d4 <= today:
        failed = history.step(
            hazard,
            d4,
            10,
            lambda: workflow.verify(
                hazard_id=hazard.pk,
                actor=history.office if hazard.listed_document else verifier,
                version=hazard.version,
                ok=False,
                note="复查不合格：整改不彻底，问题仍然存在",
                new_deadline=today + datetime.timedelta(days=rng.randint(2, 12)),
            ),
        )
        if failed is not None and rng.random() < 0.4:
            history.step(
                failed,
                today,
                15,
                lambda: workflow.report_done(
                    hazard_id=failed.pk,
                    actor=inspector,
                    version=failed.version,
                    note="按复查意见再次整改",
                    photos=[_jpeg(rng, "after")],
                ),
            )
        return
    _verify(history, hazard, verifier, d4)


def _verify(history: History, hazard: Hazard, verifier: User, when) -> None:
    # A listed 重大隐患 is accepted (验收) and delisted by the office only.
    if hazard.listed_document:
        verifier = history.office
    closed = history.step(
        hazard,
        when,
        10,
        lambda: workflow.verify(
            hazard_id=hazard.pk,
            actor=verifier,
            version=hazard.version,
            ok=True,
            note="复查合格，予以销号" if not hazard.listed_document else "验收合格，摘牌销号",
        ),
    )
    if closed is not None:
        Hazard.objects.filter(pk=hazard.pk).update(closed_at=history.stamp(hazard))


def _maybe_escalate(history: History, hazard: Hazard) -> None:
    """The reminder job's 督办 of hazards overdue more than 7 days."""
    if hazard.overdue_days(history.today) > 7 and not hazard.escalated_at:
        when = hazard.due_on + datetime.timedelta(days=8)
        history.step(
            hazard,
            when,
            8,
            lambda: workflow.escalate(
                hazard_id=hazard.pk,
                note="逾期超过7天未整改，转督查室督办",
            ),
        )
        Hazard.objects.filter(pk=hazard.pk).update(escalated_at=history.stamp(hazard))


def _extension(history: History, hazard: Hazard, inspector: User, d2):
    rng, office = history.rng, history.office
    when = d2 + datetime.timedelta(days=rng.randint(1, 4))
    if when > history.today or not hazard.deadline:
        return None
    new = hazard.deadline + datetime.timedelta(days=rng.choice([10, 15, 30]))
    if (
        history.step(
            hazard,
            when,
            14,
            lambda: workflow.request_extension(
                hazard_id=hazard.pk,
                actor=inspector,
                version=hazard.version,
                deadline=new,
                reason="整改所需设备订货周期长，申请延期",
            ),
        )
        is None
    ):
        return None
    extension = DeadlineExtension.objects.get(hazard=hazard, status="pending")
    decided = when + datetime.timedelta(days=1)
    if decided > history.today:
        return Hazard.objects.get(pk=hazard.pk)
    approve = rng.random() < 0.7
    result = history.step(
        hazard,
        decided,
        9,
        lambda: workflow.decide_extension(
            extension_id=extension.pk,
            actor=office,
            approve=approve,
            note="同意延期，逾期不再延长" if approve else "理由不充分，按原期限整改",
        ),
    )
    DeadlineExtension.objects.filter(pk=extension.pk).update(
        created_at=history.at(when, 14), decided_at=history.at(decided, 9)
    )
    return result


def _disposal(history: History, hazard: Hazard, inspector: User, when) -> None:
    rng = history.rng
    disposal = rng.choice(
        [Hazard.Disposal.SUSPEND, Hazard.Disposal.ENFORCEMENT, Hazard.Disposal.RISK_CONTROL]
    )
    review_on = history.today + datetime.timedelta(days=rng.randint(20, 90))
    # 停产整顿 comes with its own time limit; an old one may have run out by now.
    suspend_until = when + datetime.timedelta(days=rng.choice([30, 45, 60]))
    done = history.step(
        hazard,
        when,
        15,
        lambda: workflow.cannot_rectify(
            hazard_id=hazard.pk,
            actor=inspector,
            version=hazard.version,
            disposal=disposal,
            note="需停产改造，短期内无法整改"
            if disposal != Hazard.Disposal.RISK_CONTROL
            else "改造需纳入明年计划，先落实管控措施并定期复核",
            review_on=review_on if disposal == Hazard.Disposal.RISK_CONTROL else None,
            deadline=suspend_until if disposal == Hazard.Disposal.SUSPEND else None,
        ),
    )
    if done is None or rng.random() < 0.15:
        # Some proposals still wait for the office (its 处置待确认 queue).
        return
    confirmed = history.step(
        done,
        when + datetime.timedelta(days=rng.randint(1, 3)),
        10,
        lambda: workflow.confirm_disposal(
            hazard_id=done.pk, actor=history.office, version=done.version, note="同意"
        ),
    )
    if confirmed is None:
        return
    done = confirmed
    if disposal != Hazard.Disposal.RISK_CONTROL and rng.random() < 0.5:
        finish = when + datetime.timedelta(days=rng.randint(5, 20))
        if (
            history.step(
                done,
                finish,
                16,
                lambda: workflow.finish_disposal(
                    hazard_id=done.pk,
                    actor=history.office,
                    version=done.version,
                    note="停产整顿到位，经验收恢复生产"
                    if disposal == Hazard.Disposal.SUSPEND
                    else "已移交执法部门立案处罚",
                ),
            )
            is not None
        ):
            Hazard.objects.filter(pk=done.pk).update(closed_at=history.stamp(done))


def _major(history: History, hazard: Hazard, inspector: User, d1):
    """重大隐患: the 五落实 plan by the department, then 挂牌督办 by the office."""
    rng = history.rng
    planned = history.step(
        hazard,
        d1,
        14,
        lambda: workflow.set_governance_plan(
            hazard_id=hazard.pk,
            actor=inspector,
            version=hazard.version,
            responsible=hazard.unit.legal_rep,
            measures="停用相关设施，委托专业单位制定并实施改造方案",
            funds=Decimal(rng.choice(["8.50", "15.00", "32.00", "60.00"])),
            deadline=hazard.deadline,
            emergency_plan="治理期间停用相关区域并设置警戒，专人24小时值守；制定专项应急处置方案，"
            "配备应急器材，每周演练一次",
        ),
    )
    if planned is None:
        return None
    history.listed += 1
    listed_on = d1 + datetime.timedelta(days=1)
    return (
        history.step(
            planned,
            listed_on,
            10,
            lambda: workflow.list_for_supervision(
                hazard_id=planned.pk,
                actor=history.office,
                version=planned.version,
                document=_office_document_number(listed_on.year),
                listed_on=listed_on,
            ),
        )
        or planned
    )


def _office_document_number(year: int) -> str:
    """A 挂牌督办 notice numbered from the register the bulletins use (铁安委办〔2026〕N号):
    one office, one series, so a demo bulletin never repeats a notice's number."""
    from .bulletins import format_number

    with transaction.atomic():
        return format_number(year, YearSequence.next_value("bulletin", year))


def _enforcement(history: History, created) -> None:
    """About fifteen 四个一律 actions, through inspections.enforcement when it is installed."""
    from . import enforcement

    rng, office = history.rng, history.office
    departments = {d.short_name: d for d in Department.objects.all()}
    inspections = {inspection.pk: inspection for inspection, _ in created}
    current = (
        Hazard.objects.filter(inspection_id__in=list(inspections))
        .exclude(status__in=[S.REJECTED, S.MERGED, S.VOID])
        .select_related("unit")
        .order_by("pk")
    )
    candidates = []
    for hazard in current:
        inspection = inspections[hazard.inspection_id]
        if hazard.unit.is_illegal:
            candidates.append(("close", inspection, hazard))
        elif hazard.disposal == Hazard.Disposal.SUSPEND:
            candidates.append(("suspend", inspection, hazard))
        elif hazard.disposal == Hazard.Disposal.ENFORCEMENT or (
            hazard.escalated_at and hazard.is_overdue(history.today)
        ):
            candidates.append(("fine", inspection, hazard))
    rng.shuffle(candidates)
    recorded = 0
    seen_units: set[tuple[int, str]] = set()
    for kind, inspection, hazard in candidates:
        if recorded >= 15 or (hazard.unit_id, kind) in seen_units:
            continue
        if kind == "fine" and recorded >= 12:
            kind = "judicial"
        decided = inspection.date + datetime.timedelta(days=rng.randint(3, 20))
        decided = min(history.today, max(decided, timezone.localdate(history.stamp(hazard))))
        department = inspection.department
        if department.kind != Department.Kind.REGULATOR:
            department = departments["综合执法"]
        fine = Decimal(rng.choice([5000, 10000, 20000, 50000])) if kind == "fine" else None
        record = functools.partial(
            enforcement.record_enforcement,
            unit_id=hazard.unit_id,
            actor=office,
            kind=kind,
            decided_on=decided,
            department=department,
            document_number=f"铁{department.short_name}罚决字〔{decided.year}〕{recorded + 1}号",
            fine_amount=fine,
            inspection_id=inspection.pk,
            hazard_ids=[hazard.pk],
            note="依据检查发现的隐患依法处理",
        )
        try:
            history.run(decided, 15, record, hazard_ids=[hazard.pk])
        except enforcement.EnforcementError:
            continue
        seen_units.add((hazard.unit_id, kind))
        recorded += 1
        if kind == "close" and hazard.status == S.DISPOSAL:
            finish = decided + datetime.timedelta(days=1)
            if (
                history.step(
                    hazard,
                    finish,
                    16,
                    lambda h=hazard: workflow.finish_disposal(
                        hazard_id=h.pk,
                        actor=office,
                        version=h.version,
                        note="非法场所已依法关闭取缔，设备查封，人员清退",
                    ),
                )
                is not None
            ):
                Hazard.objects.filter(pk=hazard.pk).update(closed_at=history.stamp(hazard))
    history.counts["enforcement"] = recorded


def _named_unit(name: str, category_code: str, area_name: str, serial: int) -> Unit:
    """The units the 2023 speech names; created if the generated district lacks them."""
    category = Category.objects.get(code=category_code)
    area = Area.objects.filter(name=area_name).first() or Area.objects.first()
    # The speech places them in a street; a generated namesake elsewhere is another unit.
    unit, _ = Unit.objects.get_or_create(
        name=name,
        area=area,
        defaults=dict(
            credit_code=make_credit_code("91210106", f"{serial:08d}"),
            category=category,
            address=f"沈阳市铁西区{area.name[:-2]}重工街{serial % 300}号",
            legal_rep="孙立军",
            legal_rep_phone="13840001234",
            lead_department=category.lead_department,
        ),
    )
    return unit


def _accidents(history: History) -> None:
    today, office = history.today, history.office
    sanxiang = _named_unit("三橡股份有限公司", "industrial", "卫工街道", 19_000_001)
    hongxing = _named_unit("鸿兴机械厂", "industrial", "大潘街道", 19_000_002)
    residential = list(Unit.objects.filter(category__code="residential").order_by("pk")[:3])
    entertainment = Unit.objects.filter(category__code="entertainment").order_by("pk").first()
    elevator = Unit.objects.filter(category__code="elevator").order_by("pk").first()
    transport = Unit.objects.filter(category__code="road-transport").order_by("pk").first()
    specs = [
        (
            sanxiang,
            _last(today, 3, 12),
            Accident.Kind.MACHINERY,
            1,
            0,
            "45.00",
            "三橡股份有限公司密炼车间一名操作工在清理设备时被卷入，经抢救无效死亡。",
        ),
        (
            hongxing,
            _last(today, 9, 4),
            Accident.Kind.MACHINERY,
            1,
            0,
            "38.00",
            "大潘街道鸿兴机械厂一名工人在冲床作业时发生机械伤害，经抢救无效死亡。",
        ),
        (
            residential[0],
            _last(today, 1, 27),
            Accident.Kind.FIRE,
            0,
            2,
            "12.00",
            "无物业居民楼楼道内电动自行车充电引发火灾，2人轻微烟气吸入。",
        ),
        (
            residential[1],
            _last(today, 4, 18),
            Accident.Kind.FIRE,
            0,
            0,
            "3.50",
            "居民楼地下室堆放杂物起火，无人员伤亡。",
        ),
        (
            entertainment,
            _last(today, 7, 9),
            Accident.Kind.FIRE,
            0,
            1,
            "20.00",
            "娱乐场所吊顶内电气线路短路起火，1人疏散时摔伤。",
        ),
        (
            residential[2],
            _last(today, 11, 8),
            Accident.Kind.FIRE,
            0,
            0,
            "1.20",
            "居民家中使用电暖器不慎引燃窗帘，邻居及时扑灭。",
        ),
        (
            elevator,
            _last(today, 6, 2),
            Accident.Kind.ELEVATOR,
            0,
            1,
            "0.80",
            "住宅电梯困人，救援过程中1名乘客受轻伤。",
        ),
        (
            transport,
            _last(today, 10, 15),
            Accident.Kind.TRAFFIC,
            0,
            3,
            "9.00",
            "运输公司货车与电动车相撞，3人受伤。",
        ),
    ]
    for unit, date, kind, deaths, injuries, loss, description in specs:
        Accident.objects.create(
            unit=unit,
            area=unit.area,
            occurred_on=date,
            kind=kind,
            # A fire in a residential building is a 火灾, not a 生产安全事故.
            production=not unit.category.credit_code_optional,
            deaths=deaths,
            injuries=injuries,
            direct_loss=Decimal(loss),
            description=description,
            created_by=office,
        )
    history.counts["accidents"] = len(specs)


def _duty_roster(history: History) -> None:
    """Today (so the home page shows the card) and next 元旦's three days, as the office would
    enter them: the district's leader on duty with the office, 一把手 of two departments."""
    today = history.today
    new_year = datetime.date(today.year + 1, 1, 1)
    days = [today] + [new_year + datetime.timedelta(days=n) for n in range(3) if today < new_year]
    rows = (
        ("安委办", history.users["leader"], "安委办王主任", "024-25812345"),
        ("消防", None, "消防检查员刘", "024-25819119"),
        ("应急管理局", None, "应急局检查员陈", "13840012345"),
    )
    heads = ("消防大队孙大队长", "应急管理局钱局长")
    for day in days:
        for index, (short_name, leader, staff, phone) in enumerate(rows):
            DutyShift.objects.get_or_create(
                date=day,
                department=Department.objects.get(short_name=short_name),
                defaults={
                    "leader": leader,
                    "leader_name": leader.name if leader else heads[index - 1],
                    "staff": staff,
                    "phone": phone,
                    "created_by": history.office,
                },
            )


# The units' portal (单位账号) in the demo: the unit with the most hazards waiting for its
# rectification, so that reporting one (and the inspector verifying it) can be tried at once.
UNIT_ACCOUNT = "unit1"


def seed_unit_account(password: str) -> User | None:
    """The demo's one unit account, linked to its busiest unit; None if it already exists."""
    if User.objects.filter(username=UNIT_ACCOUNT).exists():
        return None
    waiting = (
        Hazard.objects.filter(status__in=[Hazard.Status.ASSIGNED, Hazard.Status.RECTIFYING])
        .values("unit")
        .annotate(n=Count("id"))
        .order_by("-n", "unit")
        .first()
    )
    if waiting is None:
        return None
    unit = Unit.objects.get(pk=waiting["unit"])
    account = User(
        username=UNIT_ACCOUNT,
        name=unit.safety_contact or "安全负责人",
        role=User.Role.UNIT,
        unit=unit,
        email=f"{UNIT_ACCOUNT}@anjian.example",
    )
    account.set_password(password)
    account.save()
    return account
