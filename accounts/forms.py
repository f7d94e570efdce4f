from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils import timezone

from anjian.forms import StyledFormMixin


class PasswordChangeForm(StyledFormMixin, auth_forms.PasswordChangeForm):
    """The user's own change (Django's validators run in SetPasswordForm); it lifts the forced change."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "原密码"
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password2"].label = "再次输入新密码"
        self.fields["new_password2"].help_text = ""

    def save(self, commit: bool = True):
        self.user.must_change_password = False
        return super().save(commit=commit)


class AdminSetPasswordMixin:
    """A password the admin types is known to two people: its owner must replace it at login."""

    def set_password_and_save(self, user, *args, **kwargs):
        user.must_change_password = True
        return super().set_password_and_save(user, *args, **kwargs)


class AdminPasswordChangeForm(AdminSetPasswordMixin, auth_forms.AdminPasswordChangeForm):
    pass


class AdminUserCreationForm(AdminSetPasswordMixin, auth_forms.AdminUserCreationForm):
    pass


class AdminUserChangeForm(auth_forms.UserChangeForm):
    """The admin's user form: unticking 有效 (deactivating) needs a reason, kept with who and when
    on the user (and in the audit); ticking it again clears them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "deactivation_reason" in self.fields:
            self.fields["deactivation_reason"].widget = forms.Textarea(attrs={"rows": 2})
            self.fields["deactivation_reason"].help_text = "取消“有效”（停用该用户）时必填"

    @property
    def deactivating(self) -> bool:
        was_active = self.instance.pk is None or self.initial.get("is_active", True)
        return was_active and not self.cleaned_data.get("is_active", True)

    def clean(self):
        cleaned = super().clean()
        reason = (cleaned.get("deactivation_reason") or "").strip()
        cleaned["deactivation_reason"] = reason
        if self.deactivating and len(reason) < 2:
            self.add_error("deactivation_reason", "停用用户须填写停用原因")
        return cleaned

    def stamp(self, by) -> None:
        """Called by the admin with the signed-in user before saving."""
        user = self.instance
        if self.deactivating:
            user.deactivated_at = timezone.now()
            user.deactivated_by = by
        elif user.is_active:
            user.deactivated_at = None
            user.deactivated_by = None
            user.deactivation_reason = ""
