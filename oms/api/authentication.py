from rest_framework.authentication import BaseAuthentication


class BearerTokenAuthentication(BaseAuthentication):
    """Placeholder until API tokens land (issue 3, API part): authenticates nobody."""

    def authenticate(self, request):
        return None
