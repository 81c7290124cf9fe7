import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_signup_creates_user_and_logs_in(client, django_user_model):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "newbie",
            "email": "n@example.com",
            "password1": "a-long-passphrase-77",
            "password2": "a-long-passphrase-77",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("gallery:photo_list")
    user = django_user_model.objects.get(username="newbie")
    assert user.check_password("a-long-passphrase-77")
    assert client.get(reverse("gallery:photo_list")).status_code == 200


def test_signup_rejects_mismatched_passwords(client, django_user_model):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "x", "password1": "a-long-passphrase-77", "password2": "different-passphrase-77"},
    )
    assert response.status_code == 200
    assert b"didn" in response.content  # "The two password fields didn't match."
    assert not django_user_model.objects.filter(username="x").exists()


def test_login_and_logout(client, user, password):
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": password})
    assert response.status_code == 302
    assert client.get(reverse("gallery:photo_list")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("gallery:album_list")).status_code == 302
    home = client.get(reverse("gallery:photo_list"))  # logged out, home is the landing page
    assert home.status_code == 200
    assert home.templates[0].name == "accounts/landing.html"


def test_login_with_wrong_password_fails(client, user):
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content


def test_pages_require_login(client):
    response = client.get(reverse("gallery:album_list"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={reverse('gallery:album_list')}"


def test_password_change(user_client, user, password):
    response = user_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": "another-passphrase-88",
            "new_password2": "another-passphrase-88",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-passphrase-88")


def test_api_token_roundtrip(user, password):
    api = APIClient()
    assert api.get("/api/photos/").status_code == 401
    response = api.post("/api/auth/token/", {"username": "alice", "password": password}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = api.get("/api/photos/")
    assert listing.status_code == 200
    assert listing.json()["count"] == 0
    created = api.post("/api/albums/", {"name": "Made with a token"}, format="json")
    assert created.status_code == 201
    assert user.albums.get().name == "Made with a token"
    # The same token comes back on a second exchange.
    again = APIClient().post("/api/auth/token/", {"username": "alice", "password": password}, format="json")
    assert again.json()["token"] == token
    # A made-up token is refused.
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert api.get("/api/photos/").status_code == 401


def test_api_token_rejects_bad_credentials(user):
    response = APIClient().post("/api/auth/token/", {"username": "alice", "password": "bad"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_deleting_a_user_in_the_admin_removes_their_stored_files(
    client, django_user_model, user, image_bytes, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gallery.models import Photo
    from gallery.services import photo_create

    photo = photo_create(owner=user, upload=SimpleUploadedFile("a.png", image_bytes(fmt="PNG")))
    names = photo.file_names
    assert all(default_storage.exists(n) for n in names)
    admin_user = django_user_model.objects.create_superuser(username="root", password="x-password-123")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not django_user_model.objects.filter(pk=user.pk).exists()
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert not any(default_storage.exists(n) for n in names)


def test_a_logged_in_user_visiting_sign_up_goes_to_the_gallery(user_client, django_user_model):
    assert user_client.get(reverse("accounts:signup")).url == reverse("gallery:photo_list")
    # Posting the form while logged in creates no second account and keeps the session's user.
    response = user_client.post(
        reverse("accounts:signup"),
        {
            "username": "second",
            "password1": "a-long-passphrase-77",
            "password2": "a-long-passphrase-77",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("gallery:photo_list")
    assert not django_user_model.objects.filter(username="second").exists()
    assert user_client.get(reverse("gallery:photo_list")).context["user"].username == "alice"
