"""The Celery app. Importing settings starts or attaches the embedded services."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spp.settings")

# DjangoTask adds delay_on_commit: a task queued inside a transaction waits for its commit.
app = Celery("spp", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
