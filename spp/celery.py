"""The Celery app. Importing settings starts or attaches the embedded services."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spp.settings")

app = Celery("spp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
