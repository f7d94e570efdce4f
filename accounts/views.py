from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from . import lockout
from .forms import PasswordChangeForm


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, lockout_limits=lockout.limits())


login = LoginView.as_view()
logout = auth_views.LogoutView.as_view()


class PasswordChangeView(auth_views.PasswordChangeView):
    """The user's own password; the session survives the change (Django updates its hash)."""

    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "密码已修改。")
        return response


password_change = PasswordChangeView.as_view()


def _require_office(request) -> None:
    if not request.user.is_office:
        raise PermissionDenied("只有安委办和管理员可以解除登录锁定")


def lockout_list(request):
    _require_office(request)
    return render(
        request,
        "accounts/lockouts.html",
        {"lockouts": lockout.current_lockouts(), "limits": lockout.limits()},
    )


@require_POST
def lockout_unlock(request):
    _require_office(request)
    kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
    if kind not in ("username", "ip_address") or not value:
        messages.error(request, "请选择要解锁的账号或 IP 地址。")
    elif lockout.unlock(kind=kind, value=value):
        label = "账号" if kind == "username" else "IP 地址"
        messages.success(request, f"已解除{label} {value} 的登录锁定。")
    else:
        messages.info(request, f"{value} 当前没有被锁定。")
    return redirect("lockout_list")
