import time

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from inspections import reminders
from units import demo as units_demo
from units.models import User


class Command(BaseCommand):
    help = "Load the demo district once (idempotent); --scale N adds N units for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="anjian-demo", help="password of every demo user")
        parser.add_argument("--scale", type=int, default=0, help="add N generated units (bulk)")
        parser.add_argument(
            "--i-know-this-is-production",
            action="store_true",
            dest="production_ok",
            help="seed even with DEBUG off: demo users with one shared password, fictitious units",
        )

    def handle(self, *args, password: str, scale: int, production_ok: bool, **options):
        if not settings.DEBUG and not production_ok:
            # A production database seeded by mistake gets nine accounts sharing a published
            # password, an admin among them, and ~700 made-up units mixed into the real ledger.
            raise CommandError(
                "DEBUG 已关闭（生产环境）：seed_demo 会建立一批共用同一公开密码的演示账号（含管理员）"
                "和约 700 家虚构单位。只在试用环境运行（DEBUG=1）；确实要在此库载入时加 "
                "--i-know-this-is-production。"
            )
        try:
            password_validation.validate_password(password)
        except ValidationError as error:
            raise CommandError("演示密码不符合密码规则：" + "".join(error.messages)) from None
        if units_demo.seed_base(password):
            from inspections import demo as inspections_demo

            inspections_demo.seed_history()
            inspections_demo.seed_unit_account(password)
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
        from inspections.demo import UNIT_ACCOUNT

        unit_account = User.objects.filter(username=UNIT_ACCOUNT, role=User.Role.UNIT).first()
        if unit_account:
            self.stdout.write(
                f"  {UNIT_ACCOUNT:<11} 单位账号：{unit_account.unit.name}（登录后进入 /portal/）"
            )
