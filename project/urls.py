from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import health, views

urlpatterns = [
    path("", views.index, name="index"),
    path("personnel", views.personnel, name="personnel"),
    path("login", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    # Django's own views: every other session of the account ends, told why.
    path("password", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("account/sessions/", include("sessions_live.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]
