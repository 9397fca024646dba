"""URLs of the dev desk: django-helpdesk (with its REST API) under /helpdesk/."""

from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
