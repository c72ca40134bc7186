from django import forms


class CodeForm(forms.Form):
    """The six-digit code an authenticator app shows."""

    code = forms.CharField(
        label="Code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
            "pattern": "[0-9 ]*",
        }),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError("Type the digits your app shows.")
        return code


class RecoveryCodeForm(forms.Form):
    """One of the recovery codes saved when two-factor authentication was turned on."""

    code = forms.CharField(
        label="Recovery code",
        max_length=40,
        widget=forms.TextInput(attrs={
            "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
            "autofocus": True,
        }),
    )
