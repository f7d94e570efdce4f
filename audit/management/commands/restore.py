from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from audit.backup import BackupError, restore, url_of


class Command(BaseCommand):
    help = "恢复：把一份备份恢复到空数据库和空媒体目录，并逐表核对行数、逐个核对文件哈希"

    def add_arguments(self, parser):
        parser.add_argument("source", help="备份目录（make backup 写出的 anjian-YYYYmmdd-HHMMSS）")
        parser.add_argument(
            "--database-url", default=None, help="恢复到的空数据库（默认 DATABASE_URL）"
        )
        parser.add_argument(
            "--media-root", default=None, help="恢复到的空媒体目录（默认 MEDIA_ROOT）"
        )

    def handle(self, *args, source, database_url, media_root, **options):
        if database_url is None and connection.vendor == "postgresql":
            database_url = url_of(connection.settings_dict)
        if not database_url:
            raise CommandError(
                "恢复需要 PostgreSQL：请用 --database-url 或 DATABASE_URL 指定空数据库"
            )
        try:
            manifest = restore(
                source=Path(source),
                database_url=database_url,
                media_root=Path(media_root or settings.MEDIA_ROOT),
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        tables, files = len(manifest["tables"]), len(manifest["media"])
        self.stdout.write(f"已恢复并核对：{tables} 张表的行数、{files} 个文件的哈希与备份清单一致")
