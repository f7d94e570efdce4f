from django.core.management.base import BaseCommand, CommandError

from inspections.models.counts import count_drift, counts_maintained, rebuild_counts


class Command(BaseCommand):
    help = (
        "核对或重建隐患计数表（台账状态计数、首页卡片、数据看板读的 inspections_hazardcount 和 "
        "inspections_hazardmonthcount）。平时由数据库触发器随每次写入维护，无需运行；在跳过触发器"
        "批量写入隐患、只恢复了部分表或修改 TIME_ZONE 之后运行。--check 只核对：不一致时退出码 1。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对，不修改")

    def handle(self, *args, check=False, **options):
        if not counts_maintained():
            self.stdout.write("SQLite 不维护计数表（直接数隐患），无需核对")
            return
        if not check:
            rebuild_counts()
        drift = count_drift()
        for name, keys in drift.items():
            self.stdout.write(f"{name}: {'一致' if not keys else f'{keys} 组计数与隐患不符'}")
        if check and any(drift.values()):
            raise CommandError("计数表与隐患不一致：运行 manage.py rebuild_counts 重建")
