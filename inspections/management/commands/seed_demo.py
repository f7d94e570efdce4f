import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from inspections import reminders
from units import demo as units_demo


class Command(BaseCommand):
    help = "Load the demo district once (idempotent); --scale N adds N units for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="anjian-demo", help="password of every demo user")
        parser.add_argument("--scale", type=int, default=0, help="add N generated units (bulk)")

    def handle(self, *args, password: str, scale: int, **options):
        if units_demo.seed_base(password):
            from inspections import demo as inspections_demo

            inspections_demo.seed_history()
            # Today's reminders as the morning job would leave them, so the notification centre
            # has something to show; mail stays for the real job (`send_reminders`).
            reminders.scan(timezone.localdate())
            reminders.build_digests(timezone.localdate())
            self.stdout.write(self.style.SUCCESS("已载入演示数据"))
        else:
            self.stdout.write("演示数据已存在，未重复载入")
        if scale:
            started = time.monotonic()
            created = units_demo.seed_scale(scale)
            self.stdout.write(
                f"已批量生成 {created} 家单位，用时 {time.monotonic() - started:.1f} 秒"
            )
        self.stdout.write(f"演示账号（密码均为 {password}）：")
        for username, name, _role, _dept in units_demo.DEMO_USERS:
            self.stdout.write(f"  {username:<11} {name}")
