"""通报 pages: list, create, preview (with the text editor), submit for signing, sign or
return, circulate, downloads."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from anjian.lists import FilteredListView

from .. import bulletins
from ..forms_bulletins import (
    BulletinAdjustForm,
    BulletinCreateForm,
    BulletinDefaultsForm,
    BulletinFilter,
    BulletinReturnForm,
    BulletinTextForm,
    QuarterlyCreateForm,
    QuarterlyTextForm,
)
from ..models import Bulletin, BulletinDefaults
from ..tasks.bulletins import enqueue_build, enqueue_render

B = Bulletin.Status


def _get_bulletin_for_user(request, pk: int) -> Bulletin:
    return get_object_or_404(
        Bulletin.objects.visible_to(request.user).select_related(
            "campaign",
            "area",
            "supersedes",
            "created_by",
            "submitted_by",
            "signed_by",
            "circulated_by",
        ),
        pk=pk,
    )


def _require_office(request) -> None:
    if not request.user.is_office:
        raise PermissionDenied("只有安委办可以编制和印发通报")


def _require_signer(request) -> None:
    if not bulletins.may_sign(request.user):
        raise PermissionDenied("只有领导可以签发通报")


class BulletinListView(FilteredListView):
    template_name = "bulletins/list.html"
    filterset_class = BulletinFilter
    sort_fields = {
        "created": ("created_at", "id"),
        "circulated": ("circulated_at", "id"),
        "period": ("period_start", "id"),
    }
    default_sort = "-created"
    paginate_by = 30

    def get_base_queryset(self):
        return Bulletin.objects.visible_to(self.request.user).select_related(
            "created_by", "supersedes"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = self.request.user.is_office
        context["today"] = timezone.localdate()
        return context


bulletin_list = BulletinListView.as_view()


def bulletin_create(request):
    _require_office(request)
    form = BulletinCreateForm(request.POST or None, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        try:
            bulletin = bulletins.create_bulletin(
                actor=request.user,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                campaign=form.cleaned_data["campaign"],
                area=form.cleaned_data["area"],
                supersedes=form.cleaned_data["supersedes"],
            )
        except bulletins.BulletinError as exc:
            form.add_error(None, str(exc))
        else:
            enqueue_build(bulletin.pk)
            # Without a broker the build has already run inline; say what actually happened.
            bulletin.refresh_from_db(fields=["status"])
            if bulletin.status == bulletin.Status.READY:
                messages.success(request, "通报已生成，请预览、修改后送领导签发")
            elif bulletin.status == bulletin.Status.FAILED:
                messages.error(request, "通报生成失败，详见页面上的错误信息")
            else:
                messages.info(request, "通报已提交生成，统计和排版需要几秒钟")
            return redirect("bulletin_detail", pk=bulletin.pk)
    return render(request, "bulletins/form.html", {"form": form})


def quarterly_create(request):
    """季报 of a quarter the beat did not draft (an earlier one, or before the beat ran)."""
    _require_office(request)
    form = QuarterlyCreateForm(request.POST or None, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        try:
            bulletin = bulletins.create_quarterly(
                actor=request.user,
                year=form.cleaned_data["year"],
                quarter=int(form.cleaned_data["quarter"]),
            )
        except bulletins.BulletinError as exc:
            form.add_error("quarter", str(exc))
        else:
            enqueue_build(bulletin.pk)
            messages.info(request, "季报已提交生成，请预览、修改分析文字后送领导签发")
            return redirect("bulletin_detail", pk=bulletin.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "bulletins/quarterly_form.html", {"form": form}, status=status)


def _text_form(bulletin: Bulletin, data=None):
    form_class = QuarterlyTextForm if bulletin.is_quarterly else BulletinTextForm
    return form_class(data, instance=bulletin)


def bulletin_defaults(request):
    """通报默认内容: the 下步工作要求 and 联系人 each new bulletin starts from."""
    _require_office(request)
    defaults = BulletinDefaults.current()
    form = BulletinDefaultsForm(request.POST or None, instance=defaults)
    if request.method == "POST":
        if form.is_valid():
            try:
                bulletins.update_defaults(actor=request.user, **form.cleaned_data)
            except bulletins.BulletinError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "默认内容已保存，此后新生成的通报使用新内容")
                return redirect("bulletin_defaults")
        return render(
            request, "bulletins/defaults.html", {"form": form, "defaults": defaults}, status=400
        )
    return render(request, "bulletins/defaults.html", {"form": form, "defaults": defaults})


def bulletin_detail(request, pk: int):
    bulletin = _get_bulletin_for_user(request, pk)
    editable = request.user.is_office and bulletin.status in Bulletin.EDITABLE_STATUSES
    text_form = None
    if editable:
        text_form = _text_form(bulletin, request.POST or None)
        if request.method == "POST" and text_form.is_valid():
            try:
                bulletins.update_texts(
                    bulletin_id=bulletin.pk,
                    actor=request.user,
                    **{f: text_form.cleaned_data[f] for f in text_form.fields},
                )
            except bulletins.BulletinError as exc:
                messages.error(request, str(exc))
            else:
                enqueue_render(bulletin.pk)
                messages.success(request, "正文已保存，PDF 已按新正文重新排版")
            return redirect("bulletin_detail", pk=bulletin.pk)
    elif request.method == "POST":
        if bulletin.status == B.CIRCULATED:
            raise PermissionDenied("已印发的通报不能修改")
        raise PermissionDenied("送签后的通报不能修改")
    return _render_detail(request, bulletin, text_form=text_form)


def _render_detail(
    request,
    bulletin: Bulletin,
    *,
    text_form: BulletinTextForm | None = None,
    return_form: BulletinReturnForm | None = None,
    adjust_form: BulletinAdjustForm | None = None,
    status: int = 200,
):
    user = request.user
    office = user.is_office
    can_sign = bulletins.may_sign(user) and bulletin.status == B.SUBMITTED
    events = list(bulletin.events.select_related("actor"))
    last = events[-1] if events else None
    editable = office and bulletin.status in Bulletin.EDITABLE_STATUSES and bool(bulletin.stats)
    # A 季报 has no praise, criticism or veto lists to adjust.
    adjustable = editable and not bulletin.is_quarterly
    adjustments = (
        list(bulletin.adjustments.filter(revoked_at=None).select_related("department", "actor"))
        if not bulletin.is_quarterly
        else []
    )
    context = {
        "bulletin": bulletin,
        "text_form": text_form,
        "can_submit": office and bulletin.status == B.READY,
        "can_withdraw": office and bulletin.status == B.SUBMITTED,
        "can_sign": can_sign,
        "return_form": (return_form or BulletinReturnForm()) if can_sign else None,
        "can_circulate": office and bulletin.status == B.APPROVED,
        "can_regenerate": office and bulletin.status in Bulletin.EDITABLE_STATUSES,
        "has_document": bool(bulletin.stats) and bulletin.status in Bulletin.BUILT_STATUSES,
        "superseded_by": list(bulletin.superseded_by.filter(status=B.CIRCULATED)),
        # The office sees the history; the leader too, as it says who sent what back.
        "events": events if (office or bulletins.may_sign(user)) else [],
        "returned": last if last and last.action == last.Action.RETURN else None,
        "adjust_form": (adjust_form or BulletinAdjustForm()) if adjustable else None,
        "adjustments": adjustments,
        "can_adjust": adjustable,
        "due_passed": bool(
            bulletin.due_on
            and bulletin.status != B.CIRCULATED
            and bulletin.due_on < timezone.localdate()
        ),
    }
    if context["has_document"] and bulletin.is_quarterly:
        context.update(bulletins.quarterly_context(bulletin, links=True))
    elif context["has_document"]:
        context.update(bulletins.document_context(bulletin, links=True, adjustments=adjustments))
        context["bulletin"] = bulletin
    return render(request, "bulletins/detail.html", context, status=status)


def _act(request, pk: int, *, require, action, done: str):
    bulletin = _get_bulletin_for_user(request, pk)
    require(request)
    try:
        bulletin = action(bulletin_id=bulletin.pk, actor=request.user)
    except bulletins.BulletinError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done.format(bulletin=bulletin))
    return redirect("bulletin_detail", pk=bulletin.pk)


@require_POST
def bulletin_submit(request, pk: int):
    return _act(request, pk, require=_require_office, action=bulletins.submit, done="已送领导签发")


@require_POST
def bulletin_withdraw(request, pk: int):
    return _act(
        request, pk, require=_require_office, action=bulletins.withdraw, done="已撤回，可以修改"
    )


@require_POST
def bulletin_approve(request, pk: int):
    return _act(
        request,
        pk,
        require=_require_signer,
        action=bulletins.approve,
        done="已签发，安委办将印发",
    )


@require_POST
def bulletin_return(request, pk: int):
    bulletin = _get_bulletin_for_user(request, pk)
    _require_signer(request)
    if bulletin.status != B.SUBMITTED:
        messages.error(request, f"通报{bulletin.get_status_display()}，不在待签发状态")
        return redirect("bulletin_detail", pk=bulletin.pk)
    form = BulletinReturnForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, bulletin, return_form=form, status=400)
    try:
        bulletins.return_to_office(
            bulletin_id=bulletin.pk, actor=request.user, remark=form.cleaned_data["remark"]
        )
    except bulletins.BulletinError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已退回安委办修改")
    return redirect("bulletin_detail", pk=bulletin.pk)


@require_POST
def bulletin_adjust(request, pk: int):
    """划去/增加 an entry of the praise, criticism or veto list (or revoke such a change)."""
    bulletin = _get_bulletin_for_user(request, pk)
    _require_office(request)
    if bulletin.status not in Bulletin.EDITABLE_STATUSES:
        raise PermissionDenied("送签后的通报不能调整名单")
    if bulletin.is_quarterly:
        raise PermissionDenied("季报没有表扬、批评名单")
    revoke = request.POST.get("revoke", "")
    if revoke:
        try:
            bulletins.revoke_adjustment(
                bulletin_id=bulletin.pk,
                actor=request.user,
                adjustment_id=int(revoke) if revoke.isdigit() else 0,
            )
        except bulletins.BulletinError as exc:
            messages.error(request, str(exc))
        else:
            enqueue_render(bulletin.pk)
            messages.success(request, "已撤销该调整")
        return redirect("bulletin_detail", pk=bulletin.pk)
    form = BulletinAdjustForm(request.POST)
    if form.is_valid():
        try:
            bulletins.adjust(bulletin_id=bulletin.pk, actor=request.user, **form.cleaned_data)
        except bulletins.BulletinError as exc:
            form.add_error(None, str(exc))
        else:
            enqueue_render(bulletin.pk)
            messages.success(request, "名单已调整，PDF 已重新排版")
            return redirect("bulletin_detail", pk=bulletin.pk)
    return _render_detail(request, bulletin, adjust_form=form, status=400)


@require_POST
def bulletin_circulate(request, pk: int):
    return _act(
        request,
        pk,
        require=_require_office,
        action=bulletins.circulate,
        done="已印发：{bulletin.number}",
    )


@require_POST
def bulletin_regenerate(request, pk: int):
    bulletin = _get_bulletin_for_user(request, pk)
    _require_office(request)
    try:
        bulletins.regenerate(bulletin_id=bulletin.pk, actor=request.user)
    except bulletins.BulletinError as exc:
        messages.error(request, str(exc))
    else:
        enqueue_build(bulletin.pk)
        messages.info(request, "正在按最新数据重新生成")
    return redirect("bulletin_detail", pk=bulletin.pk)


def _download(file_field, filename: str, content_type: str) -> FileResponse:
    if not file_field:
        raise Http404("文件尚未生成")
    try:
        handle = file_field.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在") from None
    # FileResponse writes filename*=utf-8''… (RFC 5987) for the Chinese name.
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)


def bulletin_pdf(request, pk: int):
    bulletin = _get_bulletin_for_user(request, pk)
    if bulletin.status not in Bulletin.BUILT_STATUSES:
        raise Http404("通报尚未生成")
    return _download(bulletin.pdf, bulletins.pdf_filename(bulletin), "application/pdf")


def bulletin_attachment(request, pk: int):
    bulletin = _get_bulletin_for_user(request, pk)
    if bulletin.status not in Bulletin.BUILT_STATUSES:
        raise Http404("通报尚未生成")
    return _download(
        bulletin.attachment,
        bulletins.attachment_filename(bulletin),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
