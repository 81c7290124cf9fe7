import functools
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import (
    EmailForm,
    FaceRecognitionForm,
    LanguageForm,
    PasswordConfirmForm,
    PasswordResetForm,
    PreferencesForm,
    SignUpForm,
    reset_link_lifetime,
)
from accounts.models import User
from accounts.preferences import is_language
from accounts.services import (
    ConsentChange,
    user_create,
    user_delete,
    user_email_update,
    user_face_data_delete,
    user_face_recognition_set,
    user_language_update,
    user_preferences_update,
)
from accounts.throttling import login_attempt, login_succeeded, password_reset_attempt
from gallery.selectors import storage_usage_for_user
from recognition.services import FaceDataReport, face_data_summary


def _remember_language(response: HttpResponseBase, language: str) -> HttpResponseBase:
    """The language cookie, so that the choice also holds on this browser after logging out;
    with no language ("" = the browser's), the cookie goes and Accept-Language decides again."""
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        )
    else:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
        )
    return response


def _wait_minutes(wait: float) -> int:
    return max(1, math.ceil(wait / 60))


class LoginView(auth_views.LoginView):
    """Django's login form with the token API's limit on failed attempts (per client address
    and per username): over it, the password is not even checked and the answer is a 429."""

    template_name = "accounts/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        wait = login_attempt(request, username=username)
        if wait is None:
            return super().post(request, *args, **kwargs)
        minutes = _wait_minutes(wait)
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
        user = form.get_user()
        if isinstance(user, User) and is_language(user.language):
            _remember_language(response, user.language)
        return response


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), then the landing page says "You have been logged out."; the
    message is written in the language the user was using."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:
            messages.info(request, _("You have been logged out."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's "forgot your password" form: the same answer whether an account has the address or
    not (the e-mail goes only to accounts that have it); requests are limited per client address
    and per address typed (accounts.throttling), over the limit nothing is sent and the answer is
    a 429."""

    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = request.POST.get("email", "")
        wait = password_reset_attempt(request, email=email if isinstance(email, str) else "")
        if wait is None:
            return super().post(request, *args, **kwargs)
        minutes = _wait_minutes(wait)
        message = ngettext(
            "Too many password reset requests. Try again in %(minutes)d minute.",
            "Too many password reset requests. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        form = PasswordResetForm(initial={"email": email[:254]})
        response = self.render_to_response(self.get_context_data(form=form, throttled=message), status=429)
        response["Retry-After"] = str(math.ceil(wait))
        return response


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "link_lifetime": reset_link_lifetime()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link in the e-mail: works once (the token depends on the password) and until
    PASSWORD_RESET_TIMEOUT; the new password ends every session and revokes the API tokens."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


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
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        user = user_create(
            username=form.cleaned_data["username"],
            email=form.cleaned_data.get("email", ""),
            password=form.cleaned_data["password1"],
            language=chosen if is_language(chosen) else "",
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("gallery:photo_list")
    return render(request, "accounts/signup.html", {"form": form})


def _back(request: HttpRequest) -> str:
    """The page a form was posted from, if it is on this site: the Referer (with its query string,
    which pages do not echo into their forms), else the form's `next` (a path), else home."""
    for url in (request.META.get("HTTP_REFERER", ""), request.POST.get("next", "")):
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(url)
            return urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return "/"


@require_POST
def set_language(request: HttpRequest) -> HttpResponseBase:
    """The header's language switch: saved on the user when logged in, in a cookie always; back
    to the page it was used on."""
    form = LanguageForm(request.POST)
    next_url = _back(request)
    if not form.is_valid():
        return redirect(next_url)
    language = form.cleaned_data["language"]
    if isinstance(request.user, User):
        user_language_update(user=request.user, language=language)
    return _remember_language(redirect(next_url), language)


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """What 추억 사진관 does, for visitors; Log in keeps the address they came for."""
    next_url = request.get_full_path() if request.GET else ""
    return render(request, "accounts/landing.html", {"next": next_url})


def landing_for_visitors(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """The home page's decorator (in place of login_required): logged-in users get `view`,
    visitors the landing page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return landing(request)
        return view(request, *args, **kwargs)

    return wrapper


def _preferences_form(user: User, data: Any = None) -> PreferencesForm:
    return PreferencesForm(data, initial={"language": user.language, "time_zone": user.time_zone})


def _email_form(user: User, data: Any = None) -> EmailForm:
    return EmailForm(data, user=user, initial={"email": user.email})


@login_required
@require_POST
def account_email(request: HttpRequest) -> HttpResponseBase:
    """Add, change or remove the account's e-mail address, confirmed by the current password
    (whose wrong guesses count against the login limits)."""
    user = request.user
    assert isinstance(user, User)
    wait = login_attempt(request, username=user.get_username())
    if wait is not None:
        # Over the limit the password is not even checked: the form goes back unbound.
        minutes = _wait_minutes(wait)
        throttled = ngettext(
            "Too many failed login attempts. Try again in %(minutes)d minute.",
            "Too many failed login attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        form = EmailForm(user=user, initial={"email": request.POST.get("email", "")[:254]})
        context = {
            "form": _preferences_form(user),
            "email_form": form,
            "email_throttled": throttled,
            "storage": storage_usage_for_user(user=user),
        }
        response = render(request, "accounts/account.html", context, status=429)
        response["Retry-After"] = str(math.ceil(wait))
        return response
    form = _email_form(user, request.POST)
    valid = form.is_valid()
    if "current_password" not in form.errors:
        login_succeeded(request, username=user.get_username())
    if not valid:
        context = {
            "form": _preferences_form(user),
            "email_form": form,
            "storage": storage_usage_for_user(user=user),
        }
        return render(request, "accounts/account.html", context, status=400)
    user_email_update(user=user, email=form.cleaned_data["email"])
    messages.success(request, _("Your e-mail address was saved."))
    return redirect("accounts:account")


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponseBase:
    """Your account: language and time zone, the e-mail address; links to the password page."""
    user = request.user
    assert isinstance(user, User)
    form = _preferences_form(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_preferences_update(
            user=user, language=form.cleaned_data["language"], time_zone=form.cleaned_data["time_zone"]
        )
        # The message is read on the next page, in the language just chosen.
        with translation.override(user.language or translation.get_language()):
            messages.success(request, _("Your settings were saved."))
        return _remember_language(redirect("accounts:account"), user.language)
    return render(
        request,
        "accounts/account.html",
        {"form": form, "email_form": _email_form(user), "storage": storage_usage_for_user(user=user)},
        status=400 if request.method == "POST" else 200,
    )


def _deleted_message(report: FaceDataReport) -> str:
    return _("Deleted %(faces)s, %(persons)s, %(rejections)s and %(queries)s.") % {
        "faces": ngettext("%(n)d face", "%(n)d faces", report.faces) % {"n": report.faces},
        "persons": ngettext("%(n)d person", "%(n)d people", report.persons) % {"n": report.persons},
        "rejections": ngettext("%(n)d rejected match", "%(n)d rejected matches", report.rejections)
        % {"n": report.rejections},
        "queries": ngettext("%(n)d search photo", "%(n)d search photos", report.search_queries)
        % {"n": report.search_queries},
    }


def _consent_message(change: ConsentChange) -> str:
    if change.enabled:
        return ngettext(
            "Face recognition is on. %(n)d photo is queued for face detection.",
            "Face recognition is on. %(n)d photos are queued for face detection.",
            change.queued,
        ) % {"n": change.queued}
    if change.deleted is None:
        return _("Face recognition is off.")
    return _("Face recognition is off. %(deleted)s") % {"deleted": _deleted_message(change.deleted)}


@login_required
@require_http_methods(["GET", "POST"])
def face_recognition(request: HttpRequest) -> HttpResponseBase:
    """Turn face recognition on or off. Turning it off deletes the face data, so GET shows what
    will be deleted and asks first."""
    user = request.user
    assert isinstance(user, User)
    if request.method == "GET":
        context = {"summary": face_data_summary(owner_id=user.pk), "action": "off"}
        return render(request, "accounts/face_data_confirm.html", context)
    form = FaceRecognitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether face recognition is on or off."))
        return redirect("accounts:account")
    change = user_face_recognition_set(user=user, enabled=form.cleaned_data["enabled"])
    messages.success(request, _consent_message(change))
    return redirect("accounts:account")


@login_required
@require_http_methods(["GET", "POST"])
def face_data_delete(request: HttpRequest) -> HttpResponseBase:
    """Delete all my face data (faces, people, names, rejections, kept search photos), keeping
    face recognition as it is: on, the photos are indexed again from scratch."""
    user = request.user
    assert isinstance(user, User)
    if request.method == "GET":
        context = {"summary": face_data_summary(owner_id=user.pk), "action": "delete"}
        return render(request, "accounts/face_data_confirm.html", context)
    report = user_face_data_delete(user=user)
    messages.success(request, _deleted_message(report))
    return redirect("accounts:account")


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponseBase:
    """Delete my account: every photo, album, face and person, the stored files, the API tokens
    and every session. Asks for the password first."""
    user = request.user
    assert isinstance(user, User)
    form = PasswordConfirmForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        user_delete(user=user)
        logout(request)
        messages.success(request, _("Your account and everything in it were deleted."))
        return redirect("accounts:login")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/account_delete.html", {"form": form}, status=status)
