import math
from typing import Any

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.forms import SignUpForm
from accounts.services import user_create
from accounts.throttling import login_attempt, login_succeeded


class LoginView(auth_views.LoginView):
    """Django's login form with the token API's limit on failed attempts (per client address
    and per username): over it, the password is not even checked and the answer is a 429."""

    template_name = "accounts/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        wait = login_attempt(request, username=username)
        if wait is None:
            return super().post(request, *args, **kwargs)
        minutes = max(1, math.ceil(wait / 60))
        message = ngettext(
            "Too many failed login attempts. Try again in %(minutes)d minute.",
            "Too many failed login attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        form = AuthenticationForm(request, initial={"username": username[:150]})
        response = self.render_to_response(self.get_context_data(form=form, throttled=message), status=429)
        response["Retry-After"] = str(math.ceil(wait))
        return response

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        login_succeeded(self.request, username=self.request.POST.get("username", ""))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (this session stays logged in, the others end); saving the new
    password revokes the user's API tokens (accounts.models.User.save)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("gallery:photo_list")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_create(
            username=form.cleaned_data["username"],
            email=form.cleaned_data.get("email", ""),
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("gallery:photo_list")
    return render(request, "accounts/signup.html", {"form": form})
