from dataclasses import dataclass

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.authentication import token_expired
from accounts.models import User
from gallery.services import photos_delete_for_owner
from people.services import lock_owner_faces
from recognition.services import FaceDataReport, face_data_delete, photos_index_again


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", language: str = "") -> User:
    """Create an active user with a hashed password (`language`: one they already chose, or "")."""
    return User.objects.create_user(username=username, email=email, password=password, language=language)


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete a user with everything they own, in bulk: rows now (faces, persons, search queries,
    albums, tokens cascade), stored files after the commit (retried by the storage sweeper while
    the storage is down), and every session of theirs ends."""
    user_id = user.pk
    photos_delete_for_owner(owner=user)
    user.delete()
    sessions_end(user_id=user_id)


def sessions_end(*, user_id: int) -> int:
    """End every live session of a user (the database holds sessions; each is decoded to find
    whose it is, which is fine at a self-hosted library's scale). Returns how many ended."""
    ended: list[str] = []
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=500):
        if str(session.get_decoded().get("_auth_user_id", "")) == str(user_id):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@dataclass(frozen=True)
class ConsentChange:
    """What turning face recognition on or off did: the face data deleted (off), the photos
    queued for indexing (on)."""

    enabled: bool
    deleted: FaceDataReport | None = None
    queued: int = 0


@transaction.atomic
def user_face_recognition_set(*, user: User, enabled: bool) -> ConsentChange:
    """Turn the user's face recognition on or off.

    Off: from this transaction on no photo of theirs is indexed (queued jobs and jobs already
    running see the flag under the owner's face lock and write nothing), and every face, person,
    rejection and kept search query of theirs is deleted; each process's face index forgets them
    at its next version check. On: every photo is queued for indexing. Setting what is already
    set does nothing.
    """
    lock_owner_faces(owner_id=user.pk)  # after any indexing write in flight, before the next
    current = User.objects.select_for_update().values_list("face_recognition", flat=True).get(pk=user.pk)
    user.face_recognition = enabled
    if current == enabled:
        return ConsentChange(enabled=enabled)
    User.objects.filter(pk=user.pk).update(face_recognition=enabled)
    if enabled:
        return ConsentChange(enabled=True, queued=photos_index_again(owner_id=user.pk))
    return ConsentChange(enabled=False, deleted=face_data_delete(owner_id=user.pk, reindex=False))


@transaction.atomic
def user_face_data_delete(*, user: User) -> FaceDataReport:
    """Delete all the user's face data; with face recognition on, their photos are indexed again
    from scratch (new faces, no names), else they stay unindexed."""
    lock_owner_faces(owner_id=user.pk)
    enabled = User.objects.select_for_update().values_list("face_recognition", flat=True).get(pk=user.pk)
    return face_data_delete(owner_id=user.pk, reindex=enabled)


@transaction.atomic
def token_obtain(*, user: User) -> Token:
    """The user's API token, a new one if they have none or it has expired."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and token_expired(token):
        token.delete()
        token = None
    return token or Token.objects.create(user=user)


@transaction.atomic
def user_tokens_revoke(*, user: User) -> int:
    """Revoke the user's API tokens (on request, and whenever their password changes)."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def user_preferences_update(*, user: User, language: str, time_zone: str) -> User:
    """Save the user's language ("" follows the browser) and time zone (an IANA name)."""
    user.language = language
    user.time_zone = time_zone
    user.save(update_fields=["language", "time_zone"])
    return user


@transaction.atomic
def user_language_update(*, user: User, language: str) -> User:
    """Save the language the user picked with the header's switch."""
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def user_email_update(*, user: User, email: str) -> User:
    """Save the user's e-mail address, where password reset links go ("" removes it)."""
    user.email = User.objects.normalize_email(email.strip())
    user.save(update_fields=["email"])
    return user
