"""A believable demo district: streets, street offices, units in every category, users."""

import random

from django.db import transaction

from .models import Area, Category, Department, Unit, User
from .reference import load_reference_data
from .validators import make_credit_code

STREETS = [
    "兴华街道",
    "工人村街道",
    "霁虹街道",
    "笃工街道",
    "卫工街道",
    "七路街道",
    "昆明湖街道",
    "艳粉街道",
    "大潘街道",
    "彰驿站街道",
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰春梅海波宁斌宇浩凯鹏飞鑫"
ROADS = [
    "兴华南街",
    "建设大路",
    "北二路",
    "卫工北街",
    "重工街",
    "保工街",
    "沈辽路",
    "南八马路",
    "云峰街",
    "启工街",
    "景星街",
    "肇工街",
]

# How many demo units per category code; construction sites match the speech's 213.
UNIT_COUNTS = {
    "residential": 60,
    "entertainment": 40,
    "mass-gathering": 8,
    "furniture-market": 12,
    "paint-market": 10,
    "chemical": 30,
    "construction": 213,
    "three-in-one": 40,
    "scenic": 6,
    "mall": 30,
    "catering": 80,
    "elevator": 60,
    "road-transport": 25,
    "industrial": 70,
    "other": 20,
}

NAME_PATTERNS = {
    "residential": ("{road}{n}号居民楼", "{road}小区{n}号楼"),
    "entertainment": ("{brand}KTV", "{brand}网吧", "{brand}电影院"),
    "mass-gathering": ("{brand}体育馆", "{brand}会展中心"),
    "furniture-market": ("{brand}家具城", "{brand}家居广场"),
    "paint-market": ("{brand}油漆市场", "{brand}涂料批发部"),
    "chemical": ("{brand}医药化工有限公司", "{brand}化工股份有限公司", "{brand}制药有限公司"),
    "construction": ("{brand}{road}项目工地", "{brand}花园{n}期工程"),
    "three-in-one": ("{brand}服装加工店", "{brand}小作坊"),
    "scenic": ("西峡谷生态公园", "盛京驿站", "{brand}公园", "{brand}文化广场"),
    "mall": ("{brand}购物中心", "{brand}超市"),
    "catering": ("{brand}饭店", "{brand}火锅店", "{brand}烧烤"),
    "elevator": ("{road}{n}号楼电梯",),
    "road-transport": ("{brand}运输有限公司", "{brand}客运站"),
    "industrial": ("{brand}机械厂", "{brand}重工有限公司", "{brand}铸造厂"),
    "other": ("{brand}仓储中心", "{brand}物流园"),
}
BRANDS = [
    "鸿兴",
    "三橡",
    "华晨",
    "铁西",
    "兴工",
    "沈重",
    "北方",
    "宏达",
    "金桥",
    "盛京",
    "东方",
    "恒通",
    "瑞丰",
    "万达",
    "新世纪",
    "远大",
    "天成",
    "汇丰",
    "博远",
    "众诚",
    "嘉禾",
    "福源",
    "卓越",
    "长青",
]

DEMO_USERS = [
    # username, name, role, department short name or None
    ("admin", "系统管理员", "admin", "安委办"),
    ("office", "安委办王主任", "office", "安委办"),
    ("supervisor", "督查室李科长", "supervisor", "督查室"),
    ("leader", "区领导张副区长", "leader", "安委办"),
    ("fire1", "消防检查员刘", "inspector", "消防"),
    ("fire2", "消防检查员赵", "inspector", "消防"),
    ("safety1", "应急局检查员陈", "inspector", "应急管理局"),
    ("safety2", "应急局检查员杨", "inspector", "应急管理局"),
    ("build1", "城建检查员周", "inspector", "城建"),
    ("street1", "兴华街道安监员吴", "inspector", "兴华街道办事处"),
]

CREDIT_PREFIX = "91210106"


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def build_unit(rng: random.Random, category: Category, area: Area, serial: int, lead) -> Unit:
    pattern = rng.choice(NAME_PATTERNS.get(category.code, ("{brand}有限公司",)))
    name = pattern.format(brand=rng.choice(BRANDS), road=rng.choice(ROADS), n=serial % 997 + 1)
    illegal = category.code == "three-in-one" and serial % 8 == 0
    needs_code = not (category.credit_code_optional or illegal)
    attributes = {}
    if category.code == "construction":
        attributes["施工许可证号"] = f"210106{2020 + serial % 7}{serial:06d}"
    elif category.code == "elevator":
        attributes["电梯注册代码"] = f"3110210106{serial:010d}"
    return Unit(
        name=name,
        credit_code=make_credit_code(CREDIT_PREFIX, f"{serial:08d}") if needs_code else "",
        category=category,
        area=area,
        address=f"沈阳市铁西区{area.name[:-2]}{rng.choice(ROADS)}{rng.randint(1, 300)}号",
        legal_rep=_person(rng),
        legal_rep_phone=_mobile(rng),
        safety_contact=_person(rng),
        safety_contact_phone=_mobile(rng),
        lead_department=lead,
        is_illegal=illegal,
        attributes=attributes,
    )


@transaction.atomic
def seed_base(password: str) -> bool:
    """Streets, street offices, ~700 units and the demo users. False if already seeded."""
    if User.objects.filter(username="office").exists():
        return False
    load_reference_data(Department, Category)
    rng = random.Random(2026)
    areas = []
    for order, street in enumerate(STREETS, start=1):
        area, _ = Area.objects.get_or_create(
            name=street, defaults={"code": f"S{order:02d}", "sort_order": order}
        )
        areas.append(area)
        Department.objects.get_or_create(
            name=f"{street}办事处",
            defaults={
                "short_name": street,
                "kind": Department.Kind.STREET,
                "area": area,
                "sort_order": 100 + order,
            },
        )
    units = []
    serial = 10_000_000
    for category in Category.objects.select_related("lead_department"):
        for _ in range(UNIT_COUNTS.get(category.code, 10)):
            serial += 1
            units.append(
                build_unit(rng, category, rng.choice(areas), serial, category.lead_department)
            )
    Unit.objects.bulk_create(units, batch_size=2000)
    departments = {d.short_name or d.name: d for d in Department.objects.all()}
    departments.update({d.name: d for d in Department.objects.all()})
    for username, name, role, dept in DEMO_USERS:
        user = User(
            username=username,
            name=name,
            role=role,
            department=departments.get(dept),
            email=f"{username}@anjian.example",
            is_staff=role == "admin",
            is_superuser=role == "admin",
        )
        user.set_password(password)
        user.save()
    return True


def seed_scale(count: int, batch_size: int = 5000) -> int:
    """N more units with bulk inserts, for benchmarks. Codes continue after the existing ones."""
    rng = random.Random(count)
    categories = list(Category.objects.select_related("lead_department"))
    areas = list(Area.objects.all())
    if not areas:
        raise ValueError("run seed_demo without --scale first")
    highest = (
        Unit.objects.filter(credit_code__startswith=CREDIT_PREFIX)
        .order_by("-credit_code")
        .values_list("credit_code", flat=True)
        .first()
    )
    start = max(20_000_000, int(highest[8:16]) + 1 if highest else 0)
    created = 0
    while created < count:
        size = min(batch_size, count - created)
        batch = []
        for i in range(size):
            category = categories[(created + i) % len(categories)]
            batch.append(
                build_unit(
                    rng,
                    category,
                    areas[(created + i) % len(areas)],
                    start + created + i,
                    category.lead_department,
                )
            )
        with transaction.atomic():
            Unit.objects.bulk_create(batch, batch_size=batch_size)
        created += size
    return created
