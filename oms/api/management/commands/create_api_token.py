from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.actors import SystemActor
from core.errors import ValidationFailed
from oms.api.scopes import DEFAULT_SCOPES, Scope
from oms.api.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Who uses the token, e.g. tmall-connector.")
        parser.add_argument("--channel", default=None, help="Bind the token to this channel code (e.g. tmall).")
        parser.add_argument(
            "--scopes", default=None,
            help=f"Comma-separated scopes from {', '.join(Scope.values)}; default: {','.join(DEFAULT_SCOPES)}.",
        )

    def handle(self, *args, name, channel, scopes, **options):
        scope_list = None if scopes is None else [s for s in scopes.split(",")]
        try:
            token, raw = api_token_create(name=name, scopes=scope_list, channel=channel,
                                          actor=SystemActor("create_api_token"))
        except ValidationFailed as exc:
            problems = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items())
            raise CommandError(problems)
        self.stderr.write(_("Token “%(name)s” (scopes %(scopes)s; channel %(channel)s). It is shown only now; "
                            "store it safely:") % {"name": token.name, "scopes": ", ".join(token.scopes),
                                                   "channel": token.channel.code if token.channel_id else "-"})
        self.stdout.write(raw)  # alone on stdout, so TOKEN=$(manage.py create_api_token …) works
