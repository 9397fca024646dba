"""A real django-helpdesk (sqlite, runserver) for the tests and the demo; not for production.

Use `ticket_link.devdesk.launcher.DevDesk`. This package is also the Django project
(`settings`, `urls`), so it imports nothing at package level.
"""
