"""Reference data every district starts with: the departments and categories named in the
2023 district safety meeting speech. Used by the data migration and by seed_demo."""

# (name, short name, kind, sort order)
DEPARTMENTS = [
    ("区安全生产委员会办公室", "安委办", "office", 1),
    ("区委区政府“两办”督查室", "督查室", "supervision", 2),
    ("区应急管理局", "应急管理局", "regulator", 10),
    ("区消防救援大队", "消防", "regulator", 11),
    ("区公安分局", "公安", "regulator", 12),
    ("区交通运输局", "交通", "regulator", 13),
    ("区公安交警大队", "交警", "regulator", 14),
    ("区城乡建设局", "城建", "regulator", 15),
    ("区综合行政执法局", "综合执法", "regulator", 16),
    ("区市场监督管理局", "市场监管", "regulator", 17),
    ("区文化旅游和广播电视局", "文旅", "regulator", 18),
    ("区商务局", "商务", "regulator", 19),
    ("区住房和城市更新局", "住房", "regulator", 20),
]

# (name, code, lead department short name, is key, credit code optional)
CATEGORIES = [
    ("居民楼（无物业小区）", "residential", "住房", True, True),
    ("文化娱乐场所", "entertainment", "文旅", True, False),
    ("大型群众活动场所", "mass-gathering", "公安", True, False),
    ("家具市场", "furniture-market", "消防", True, False),
    ("油漆市场", "paint-market", "消防", True, False),
    ("医药化工企业", "chemical", "应急管理局", True, False),
    ("建筑施工工地", "construction", "城建", True, False),
    ("“三合一”场所", "three-in-one", "消防", True, False),
    ("旅游景点", "scenic", "文旅", True, False),
    ("商场超市", "mall", "商务", True, False),
    ("餐饮娱乐", "catering", "市场监管", False, False),
    ("电梯", "elevator", "市场监管", True, True),
    ("道路运输", "road-transport", "交通", True, False),
    ("工矿企业", "industrial", "应急管理局", True, False),
    ("其他", "other", "应急管理局", False, False),
]


def load_reference_data(Department, Category) -> None:
    """Idempotent: creates what is missing, never overwrites an office's own edits."""
    by_short = {}
    for name, short, kind, order in DEPARTMENTS:
        dept, _ = Department.objects.get_or_create(
            name=name, defaults={"short_name": short, "kind": kind, "sort_order": order}
        )
        by_short[short] = dept
    for order, (name, code, lead, is_key, optional) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "lead_department": by_short[lead],
                "is_key": is_key,
                "credit_code_optional": optional,
                "sort_order": order,
            },
        )
