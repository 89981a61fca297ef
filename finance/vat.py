"""VAT invoice buyer details (发票抬头) as Chinese businesses use them.

Where they come from, first found wins: the order's invoice request (what the buyer filled in on
the channel), else the customer's company details. A special VAT invoice (增值税专用发票) needs all
four: title, taxpayer ID, registered address and phone, bank and account; a company title needs a
taxpayer ID of a valid format. An order whose note asks for a special invoice (专票) without the
details is not invoiced automatically: finance completes the details and issues it by hand.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from finance.models import InvoiceType

# Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters without I, O, S, V, Z.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Taxpayer IDs issued before 2015: 15, 17 or 20 digits/capitals.
_LEGACY_TAX_ID = re.compile(r"[0-9A-Z]{15}|[0-9A-Z]{17}|[0-9A-Z]{20}")
SPECIAL_WORDS = ("专票", "专用发票", "增值税专用")


def normalise_tax_id(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def tax_id_is_valid(value: str) -> bool:
    code = normalise_tax_id(value)
    if len(code) == 18 and all(c in _USCC_CHARS for c in code):
        total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
        check = (31 - total % 31) % 31
        return _USCC_CHARS[check] == code[17]
    return bool(_LEGACY_TAX_ID.fullmatch(code))


@dataclass
class Buyer:
    invoice_type: str = InvoiceType.NORMAL
    title: str = ""
    tax_id: str = ""
    address_phone: str = ""
    bank_account: str = ""

    @property
    def is_company(self) -> bool:
        return bool(self.tax_id) or self.invoice_type == InvoiceType.SPECIAL

    def invoice_fields(self) -> dict:
        return {"buyer_name": self.title, "buyer_tax_id": self.tax_id, "buyer_is_company": self.is_company,
                "invoice_type": self.invoice_type, "buyer_address_phone": self.address_phone,
                "buyer_bank_account": self.bank_account}

    def as_dict(self) -> dict:
        return asdict(self)


def note_asks_for_special(order) -> bool:
    return any(word in (order.note or "") for word in SPECIAL_WORDS)


def buyer_for(order) -> Buyer:
    """The buyer details the invoice of this order would carry."""
    request = order.invoice_request or {}
    customer = order.customer
    wants_special = request.get("type") == InvoiceType.SPECIAL or note_asks_for_special(order)
    if request.get("title"):
        buyer = Buyer(title=request["title"].strip(), tax_id=normalise_tax_id(request.get("tax_id", "")),
                      address_phone=(request.get("address_phone") or "").strip(),
                      bank_account=(request.get("bank_account") or "").strip())
    elif (customer.company_name or "").strip():
        buyer = Buyer(title=customer.company_name.strip(), tax_id=normalise_tax_id(customer.tax_id),
                      address_phone=customer.company_address_phone, bank_account=customer.company_bank_account)
    else:
        buyer = Buyer(title=customer.name)
    if wants_special:
        buyer.invoice_type = InvoiceType.SPECIAL
    return buyer


def check_buyer(buyer: Buyer) -> None:
    """Refuse details an invoice may not be issued with (before a number is taken)."""
    errors: dict[str, list[str]] = {}
    if not buyer.title.strip():
        errors["buyer_name"] = [_("The invoice title is required.")]
    if buyer.invoice_type == InvoiceType.SPECIAL:
        for field, value, message in (
                ("buyer_tax_id", buyer.tax_id, _("A special VAT invoice needs the buyer's taxpayer ID.")),
                ("buyer_address_phone", buyer.address_phone,
                 _("A special VAT invoice needs the buyer's registered address and phone.")),
                ("buyer_bank_account", buyer.bank_account,
                 _("A special VAT invoice needs the buyer's bank and account."))):
            if not value.strip():
                errors.setdefault(field, []).append(message)
    if buyer.tax_id and not tax_id_is_valid(buyer.tax_id):
        errors.setdefault("buyer_tax_id", []).append(
            _("“%(tax_id)s” is not a valid taxpayer ID (18-character unified social credit code, or the "
              "15/17/20-character number of older registrations).") % {"tax_id": buyer.tax_id})
    if errors:
        raise ValidationFailed(errors=errors)
