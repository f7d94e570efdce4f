"""Builds a bulletin draft inline (no Celery) and prints the PDF's path as the last line."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from inspections import bulletins
from inspections.models import Bulletin, Campaign
from units.models import Area, User


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from None


class Command(BaseCommand):
    help = "统计一个期间的数据并生成通报草稿（PDF），最后一行输出 PDF 的路径"

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="统计开始日期 YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="统计结束日期 YYYY-MM-DD")
        parser.add_argument("--campaign", type=int, help="专项检查 id")
        parser.add_argument("--area", type=int, help="街道 id")
        parser.add_argument("--user", help="创建人用户名（默认：第一个安委办用户）")

    def handle(self, *args, **options):
        start, end = _date(options["start"]), _date(options["end"])
        actor = self._actor(options["user"])
        campaign = self._get(Campaign, options["campaign"], "专项检查")
        area = self._get(Area, options["area"], "街道")
        try:
            bulletin = bulletins.create_bulletin(
                actor=actor, start=start, end=end, campaign=campaign, area=area
            )
        except bulletins.BulletinError as exc:
            raise CommandError(str(exc)) from None
        bulletin = bulletins.build(bulletin.pk)
        if bulletin.status != Bulletin.Status.READY:
            raise CommandError(f"通报 #{bulletin.pk} 生成失败：{bulletin.error}")
        self.stderr.write(f"通报 #{bulletin.pk}：{bulletin.title}")
        try:
            self.stdout.write(bulletin.pdf.path)
        except NotImplementedError:
            # An object store has no local path: the name in the bucket instead.
            self.stdout.write(bulletin.pdf.name)

    def _actor(self, username: str | None) -> User:
        users = User.objects.filter(is_active=True)
        if username:
            actor = users.filter(username=username).first()
            if actor is None:
                raise CommandError(f"没有用户 {username}")
        else:
            actor = (
                users.filter(role__in=[User.Role.OFFICE, User.Role.ADMIN]).order_by("id").first()
                or users.filter(is_superuser=True).order_by("id").first()
            )
            if actor is None:
                raise CommandError("没有安委办用户，请用 --user 指定创建人")
        if not actor.is_office:
            raise CommandError("创建人必须是安委办或管理员")
        return actor

    def _get(self, model, pk: int | None, label: str):
        if pk is None:
            return None
        obj = model.objects.filter(pk=pk).first()
        if obj is None:
            raise CommandError(f"没有该{label}：{pk}")
        return obj
