"""People pages: check access, validate with a form, call one service, render or redirect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from people import selectors, services
from people.forms import FaceActionForm, FaceNameForm, HideForm, MergeForm, PersonForm
from people.models import PeopleState, Person
from people.services import PeopleError
from recognition.runtime import active_model_key

if TYPE_CHECKING:
    from accounts.models import User

PEOPLE_PAGE_SIZE = 60
MERGE_CHOICES = 200


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on (`next`), if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _grouping_pending(user: User) -> bool:
    state = PeopleState.objects.filter(owner_id=user.pk).first()
    return bool(
        state
        and state.requested_at
        and (
            state.scheduled_at is not None or not state.finished_at or state.finished_at < state.requested_at
        )
    )


@login_required
@require_GET
def people_list(request: HttpRequest) -> HttpResponse:
    model_key = active_model_key()
    show_hidden = request.GET.get("hidden") == "1"
    q = request.GET.get("q", "")[:100]
    persons = selectors.person_list_for_user(user=request.user, model_key=model_key, hidden=show_hidden, q=q)
    page = Paginator(persons, PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    named = selectors.person_list_for_user(user=request.user, model_key=model_key, hidden=None, named=True)
    suggestions = selectors.face_list_for_user(
        user=request.user, model_key=model_key, unassigned=True, suggested=True
    ).count()
    return render(
        request,
        "people/people_list.html",
        {
            "page": page,
            "q": q,
            "show_hidden": show_hidden,
            "named": named[:MERGE_CHOICES],
            "suggestions": suggestions,
            "unassigned": selectors.face_list_for_user(
                user=request.user, model_key=model_key, unassigned=True
            ).count(),
            "pending": _grouping_pending(_user(request)),
            "last_merge": selectors.last_open_merge(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's photos (one tile per face, newest first); POST renames or sets the birth date."""
    model_key = active_model_key()
    try:
        person = selectors.person_get_for_user(user=request.user, person_id=person_id, model_key=model_key)
    except Http404:
        # A person merged into another: their old address (a bookmark) leads to the kept person.
        kept = selectors.person_kept_after_merge(user=request.user, person_id=person_id)
        if kept is None or request.method != "GET":
            raise
        return redirect("people:person_detail", person_id=kept)
    form = PersonForm(request.POST or None, initial={"name": person.name, "birth_date": person.birth_date})
    if request.method == "POST" and form.is_valid():
        person = services.person_update(
            person=person, name=form.cleaned_data["name"], birth_date=form.cleaned_data["birth_date"]
        )
        messages.success(request, _("Saved."))
        namesake = selectors.person_namesake(person=person)
        if namesake is not None:
            messages.warning(
                request,
                _("Another person is also called %(name)s. If they are the same person, merge them below.")
                % {"name": person.name},
            )
        return redirect("people:person_detail", person_id=person.pk)
    faces = selectors.person_faces(person=person, model_key=model_key)
    page = Paginator(faces, settings.GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    others = selectors.person_list_for_user(
        user=request.user, model_key=model_key, hidden=None, by_name=True
    ).exclude(pk=person.pk)[:MERGE_CHOICES]
    merge = selectors.last_open_merge(user=request.user)
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "form": form,
            "page": page,
            "others": others,
            "last_merge": merge if merge is not None and merge.target_id == person.pk else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def person_hide(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get_for_user(
        user=request.user, person_id=person_id, model_key=active_model_key()
    )
    form = HideForm(request.POST)
    form.is_valid()
    hidden = bool(form.cleaned_data.get("hidden"))
    services.person_update(person=person, hidden=hidden)
    messages.success(
        request,
        _("%(name)s is hidden from People.") % {"name": person.display_name}
        if hidden
        else _("%(name)s is shown in People again.") % {"name": person.display_name},
    )
    return redirect("people:person_detail", person_id=person.pk)


@login_required
@require_POST
def person_merge(request: HttpRequest, person_id: int) -> HttpResponse:
    model_key = active_model_key()
    source = selectors.person_get_for_user(user=request.user, person_id=person_id, model_key=model_key)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the person to merge with."))
        return redirect("people:person_detail", person_id=source.pk)
    target = selectors.person_get_for_user(
        user=request.user, person_id=form.cleaned_data["into"], model_key=model_key
    )
    try:
        kept = services.person_merge(source=source, target=target)
    except PeopleError as exc:
        messages.error(request, exc.message)
        return redirect("people:person_detail", person_id=source.pk)
    messages.success(
        request,
        _("Merged %(source)s into %(target)s.")
        % {"source": source.display_name, "target": kept.display_name},
    )
    return redirect("people:person_detail", person_id=kept.pk)


@login_required
@require_POST
def person_merge_undo(request: HttpRequest) -> HttpResponse:
    try:
        merge = services.person_merge_undo(owner=_user(request))
    except PeopleError as exc:
        messages.error(request, exc.message)
        return _back(request, reverse("people:people_list"))
    messages.success(request, _("Undone: %(name)s is back.") % {"name": merge.source.display_name})
    return redirect("people:person_detail", person_id=merge.source_id)


@login_required
@require_POST
def faces_action(request: HttpRequest, person_id: int | None = None) -> HttpResponse:
    """Apply an action to the chosen faces: from a person's page (reject, move, cover) or the
    review queue (accept or reject each face's suggestion, name unassigned faces)."""
    model_key = active_model_key()
    person = (
        selectors.person_get_for_user(user=request.user, person_id=person_id, model_key=model_key)
        if person_id is not None
        else None
    )
    here = (
        reverse("people:person_detail", kwargs={"person_id": person.pk})
        if person is not None
        else reverse("people:review")
    )
    form = FaceActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(request, here)
    data = form.cleaned_data
    faces = selectors.faces_for_user_by_ids(user=request.user, face_ids=data["faces"])
    try:
        message = _apply(request, data, faces, person, model_key)
    except PeopleError as exc:
        messages.error(request, exc.message)
        return _back(request, here)
    messages.success(request, message)
    if person is not None and not Person.objects.filter(pk=person.pk, merged_into__isnull=True).exists():
        return redirect("people:people_list")
    return _back(request, here)


def _apply(
    request: HttpRequest, data: dict[str, Any], faces: list[Any], person: Person | None, model_key: str
) -> str:
    user = _user(request)
    count = len(faces)
    action = data["action"]
    if action == "reject":
        if person is not None:
            services.faces_reject(person=person, faces=faces)
        else:  # the review queue: each face's suggestion is wrong
            for face in faces:
                if face.suggested_person is not None:
                    services.faces_reject(person=face.suggested_person, faces=[face])
        return ngettext("%(count)d face removed.", "%(count)d faces removed.", count) % {"count": count}
    if action == "accept":
        if person is not None:
            services.faces_confirm(person=person, faces=faces)
        else:
            for face in faces:
                if face.suggested_person is not None:
                    services.faces_confirm(person=face.suggested_person, faces=[face])
        return ngettext("%(count)d face confirmed.", "%(count)d faces confirmed.", count) % {"count": count}
    if action == "cover":
        if person is None:
            raise PeopleError(_("Choose a person first."))
        services.person_update(person=person, cover_face=faces[0])
        return _("Cover changed.")
    # move / name: to a chosen person, or to the person with that name (created if needed)
    if data.get("person"):
        target = selectors.person_get_for_user(
            user=request.user, person_id=data["person"], model_key=model_key
        )
        services.faces_move(owner=user, faces=faces, person=target)
    elif (data.get("name") or "").strip():
        target = services.faces_name(owner=user, faces=faces, name=data["name"])
    else:
        raise PeopleError(_("Choose a person, or type a name for a new one."))
    return ngettext("%(count)d face moved to %(name)s.", "%(count)d faces moved to %(name)s.", count) % {
        "count": count,
        "name": target.display_name,
    }


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """Suggestions to accept or reject, most similar first, then faces nobody has been found for."""
    model_key = active_model_key()
    suggested = selectors.face_list_for_user(
        user=request.user, model_key=model_key, unassigned=True, suggested=True
    )
    page = Paginator(suggested, settings.GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    lonely = selectors.face_list_for_user(user=request.user, model_key=model_key, unassigned=True).filter(
        suggested_person__isnull=True
    )
    lonely_page = Paginator(lonely, settings.GALLERY_PAGE_SIZE).get_page(request.GET.get("more"))
    named = selectors.person_list_for_user(user=request.user, model_key=model_key, hidden=None, named=True)
    return render(
        request,
        "people/review.html",
        {"page": page, "lonely_page": lonely_page, "named": named[:MERGE_CHOICES]},
    )


@login_required
@require_POST
def face_name(request: HttpRequest, face_id: int) -> HttpResponse:
    """Name one face of a photo (an existing person's name, a new one), or clear it to remove it."""
    (face,) = selectors.faces_for_user_by_ids(user=request.user, face_ids=[face_id])
    form = FaceNameForm(request.POST)
    photo_url = reverse("gallery:photo_detail", kwargs={"photo_id": face.photo_id})
    if not form.is_valid():
        messages.error(request, _("Names are at most 100 characters."))
        return _back(request, photo_url)
    person = services.face_set_name(owner=_user(request), face=face, name=form.cleaned_data["name"])
    if person is None:
        messages.success(request, _("Removed the name from this face."))
    else:
        messages.success(request, _("This is %(name)s.") % {"name": person.display_name})
    return _back(request, photo_url)
