import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from inspections import reminders


class Command(BaseCommand):
    help = (
        "立即运行每日提醒（与定时任务相同）：扫描到期/逾期隐患、督办、生成每人每日汇总并发送邮件。"
        "最后一行为 sent=N skipped=M（skipped：当天已发送过的汇总）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按该日期运行，YYYY-MM-DD（默认今天）")
        parser.add_argument(
            "--dry-run", action="store_true", help="只列出谁会收到什么，不写入、不发送"
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        if date:
            try:
                day = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"--date 须为 YYYY-MM-DD，收到 {date!r}") from None
        else:
            day = timezone.localdate()
        if dry_run:
            self.stdout.write(f"{day:%Y-%m-%d} 试运行：以下为将收到提醒的用户，不写入、不发送")
        # Mails go out inline here, so the count printed is what was really sent.
        sent, skipped = reminders.run_daily(day, dry_run=dry_run, report=self.stdout.write)
        self.stdout.write(f"sent={sent} skipped={skipped}")
