from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("people/", views.people_list, name="people_list"),
    path("people/review/", views.review, name="review"),
    path("people/review/faces/", views.faces_action, name="review_faces"),
    path("people/merges/undo/", views.person_merge_undo, name="merge_undo"),
    path("people/<int:person_id>/", views.person_detail, name="person_detail"),
    path("people/<int:person_id>/hide/", views.person_hide, name="person_hide"),
    path("people/<int:person_id>/merge/", views.person_merge, name="person_merge"),
    path("people/<int:person_id>/faces/", views.faces_action, name="person_faces"),
    path("faces/<int:face_id>/name/", views.face_name, name="face_name"),
]
