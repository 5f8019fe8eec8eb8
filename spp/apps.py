from django.apps import AppConfig


class SppConfig(AppConfig):
    name = "spp"
    verbose_name = "SPP tenancy"
