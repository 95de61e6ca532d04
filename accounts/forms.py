"""allauth's sign-up takes one field of ours besides email and password (the headless API
builds its input from this form: ACCOUNT_SIGNUP_FORM_CLASS)."""

from django import forms
from django.http import HttpRequest

from accounts.exceptions import DisplayNameNotAllowed
from accounts.models import User
from accounts.services import display_name_check, profile_update


class SignupForm(forms.Form):
    display_name = forms.CharField(
        max_length=User._meta.get_field("display_name").max_length,
        required=False,
        help_text="The name mail and reviews address you by; change it later on /api/v1/me/.",
    )

    def clean_display_name(self) -> str:
        """The profile's rules (config.text), as a field error of the sign-up (a 400)."""
        name: str = self.cleaned_data.get("display_name", "")
        if name:
            try:
                display_name_check(name)
            except DisplayNameNotAllowed as error:
                raise forms.ValidationError(error.message, code="invalid") from error
        return name

    def signup(self, request: HttpRequest, user: User) -> None:
        """allauth calls this once the user row exists, before any mail goes out."""
        # None given: nothing to write (a sign-up then costs what one for a taken address
        # does, see AccountAdapter.clean_password).
        display_name = self.cleaned_data.get("display_name", "")
        if display_name:
            profile_update(user=user, display_name=display_name)
