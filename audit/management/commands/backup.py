from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from audit.backup import BackupError, backup, prune, url_of


class Command(BaseCommand):
    help = "备份：pg_dump -Fc 数据库 + 媒体文件归档 + 清单（各表行数、文件哈希）"

    def add_arguments(self, parser):
        parser.add_argument("--dest", default="backups", help="备份存放目录（默认 backups/）")
        parser.add_argument("--keep", type=int, default=0, help="只保留最新的 N 份（0：全部保留）")

    def handle(self, *args, dest, keep, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "备份需要 PostgreSQL（DATABASE_URL）；SQLite 演示库直接复制 db.sqlite3 即可"
            )
        try:
            out = backup(
                database_url=url_of(connection.settings_dict),
                media_root=settings.MEDIA_ROOT,
                dest=Path(dest),
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已备份到 {out}")
        for path in prune(Path(dest), keep):
            self.stdout.write(f"已删除旧备份 {path}")
