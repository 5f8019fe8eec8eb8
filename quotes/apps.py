from django.apps import AppConfig


class QuotesConfig(AppConfig):
    name = "quotes"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from quotes.services import warm_unread_counts

        user_logged_in.connect(warm_unread_counts, dispatch_uid="quotes.warm_unread_counts")
