"""Messages of other apps that the import report and the order export show to users.

The order rules (`orders.services.order_input_problems`) and the order choices speak through the
orders app's catalogue. An import report must read in the user's language even where that
catalogue has no translation yet, so these msgids are marked here too and translated in this app's
catalogue. Django looks a msgid up in the apps' catalogues in INSTALLED_APPS order, so a
translation in the orders catalogue, once there, takes precedence over these.
"""

from django.utils.translation import gettext_noop

SHARED_RULE_MESSAGES = (
    gettext_noop("Unknown channel “%(code)s”."),
    gettext_noop("This field is required."),
    gettext_noop("Not a valid mainland mobile or landline number."),
    gettext_noop("Unknown payment method."),
    gettext_noop("Must not be negative."),
    gettext_noop("An order needs at least one line."),
    gettext_noop("Unknown SKU “%(sku)s”."),
    gettext_noop("Must be a positive whole number."),
    gettext_noop("Must not exceed quantity × unit price."),
)
ORDER_CHOICES = (
    gettext_noop("Pending review"), gettext_noop("On hold"), gettext_noop("Awaiting payment"),
    gettext_noop("Awaiting shipment"), gettext_noop("Partially shipped"), gettext_noop("Shipped"),
    gettext_noop("Completed"), gettext_noop("Cancelled"),
    gettext_noop("Alipay"), gettext_noop("WeChat Pay"), gettext_noop("UnionPay"), gettext_noop("Bank transfer"),
    gettext_noop("Cash on delivery"),
    gettext_noop("Unpaid"), gettext_noop("Partially paid"), gettext_noop("Paid"), gettext_noop("Overpaid"),
    gettext_noop("Partially refunded"), gettext_noop("Refunded"),
    gettext_noop("API"), gettext_noop("Back office"), gettext_noop("Legacy import"),
)
