from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
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
        # Media in a bucket (AWS_STORAGE_BUCKET_NAME) are not on this host at all.
        local_media = isinstance(storages["default"], FileSystemStorage)
        try:
            out = backup(
                database_url=url_of(connection.settings_dict),
                media_root=settings.MEDIA_ROOT if local_media else None,
                dest=Path(dest),
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已备份到 {out}")
        if not local_media:
            self.stderr.write(
                "注意：媒体文件存放在对象存储桶"
                f"（{getattr(settings, 'AWS_STORAGE_BUCKET_NAME', '') or '非本地存储'}）中，"
                "本备份只含数据库；请用存储桶的版本控制/复制或 mc mirror 另行备份媒体"
            )
        for path in prune(Path(dest), keep):
            self.stdout.write(f"已删除旧备份 {path}")
