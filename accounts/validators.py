from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    # Django 5.2 words this message with %d, which its zh_Hans catalogue does not translate yet:
    # the user would read English exactly when the password is refused.
    def get_error_message(self) -> str:
        return f"密码太短，至少需要 {self.min_length} 个字符。"
