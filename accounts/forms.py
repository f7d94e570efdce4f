from django.contrib.auth import forms as auth_forms

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
