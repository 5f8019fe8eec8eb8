from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Partner users are invited by their admin or an operator: no public sign-up."""

    def is_open_for_signup(self, request) -> bool:
        return False
