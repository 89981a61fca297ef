"""Checking one complete order: duplicates, every value's form, the shared order rules, the template's own rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from catalog.selectors import normalise_sku, products_by_sku
from core.errors import ValidationFailed
from core.money import ZERO, to_money
from core.phones import normalise_phone
from finance.vat import Buyer, check_buyer, normalise_tax_id
from oms.imports.columns import BY_KEY, INDEX, INVOICE_KEYS
from oms.imports.services.report import Problem
from oms.imports.values import (
    GBK_YEN,
    BadValue,
    cell_text,
    identifier_text,
    looks_like_gbk_yen,
    parse_amount,
    parse_carrier,
    parse_datetime,
    parse_quantity,
    parse_status,
    payment_method_code,
    phone_text,
)
from orders.models import Channel, Order, OrderStatus
from orders.services import LineInput, OrderInput, order_input_problems, priced_line_values

# Columns whose numbers are identifiers: a number cell there stands for the digits typed, if exact.
_IDENTIFIERS = tuple((key, INDEX[key]) for key in ("order_number", "tracking_number", "sku", "phone", "tax_id"))
HISTORICAL_STATUSES = (OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)
NEEDS_TRACKING = (OrderStatus.SHIPPED, OrderStatus.COMPLETED)

# Field paths of the shared order rules → template columns.
_RULE_COLUMNS = {
    "channel": "channel",
    "external_id": "order_number",
    "customer.name": "customer_name",
    "customer.phone": "phone",
    "shipping_address.recipient": "customer_name",
    "shipping_address.phone": "phone",
    "shipping_address.province": "province",
    "shipping_address.city": "city",
    "shipping_address.detail": "address",
    "payment.method": "payment_method",
    "shipping_fee": "shipping_fee",
    "lines": "sku",
}


_TEXT_COLUMNS = {"order_number", "channel", "customer_name", "phone", "province", "city", "district", "address",
                 "sku", "status", "payment_method", "carrier", "tracking_number", "note", *INVOICE_KEYS}


def _line_text(lines) -> str:
    return "、".join(f"{sku}×{quantity} @{price:,.2f}" + (f" -{discount:,.2f}" if discount else "")
                    for sku, quantity, price, discount in lines) or "—"


def _differences(order: Order, checked: _ValidOrder) -> list[str]:
    """What the file says differently from the order in OMS (lines, total), in the clerk's words."""
    in_oms = sorted((normalise_sku(line.sku), line.quantity, to_money(line.unit_price), to_money(line.discount))
                    for line in order.lines.all())
    in_file = sorted((normalise_sku(line["sku"]), line["quantity"], to_money(line["unit_price"]),
                      to_money(line["discount"])) for line in checked.lines)
    differences = []
    if in_oms != in_file:
        differences.append(_("lines in OMS: %(oms)s; in the file: %(file)s")
                           % {"oms": _line_text(in_oms), "file": _line_text(in_file)})
    if to_money(order.total) != to_money(checked.total):
        differences.append(_("total in OMS ¥%(oms)s, in the file ¥%(file)s")
                           % {"oms": f"{order.total:,.2f}", "file": f"{checked.total:,.2f}"})
    return differences


def _amount(value):
    """`parse_amount`, naming the encoding when a GBK file turned the ¥ into “?”."""
    try:
        return parse_amount(value)
    except BadValue:
        if looks_like_gbk_yen(value):
            raise BadValue(GBK_YEN)
        raise


# 发票类型 as people write it → finance's invoice type
_INVOICE_TYPES = {"普通": "normal", "普票": "normal", "普通发票": "normal", "增值税普通发票": "normal",
                  "normal": "normal", "专用": "special", "专票": "special", "专用发票": "special",
                  "增值税专用发票": "special", "special": "special"}
# finance's names for the buyer's details → the file's invoice columns
_INVOICE_COLUMNS = {"buyer_name": "invoice_title", "buyer_tax_id": "tax_id",
                    "buyer_address_phone": "invoice_address_phone", "buyer_bank_account": "invoice_bank_account"}


def _invoice_request(text, row_of, value, flag) -> dict:
    """The order's invoice request from the invoice columns, checked as finance checks an invoice before
    issuing it (a special invoice needs every detail; a taxpayer ID must be well formed). Empty when the
    file gives none of them."""
    if not any(text(key) for key in INVOICE_KEYS):
        return {}
    kind = _INVOICE_TYPES.get(text("invoice_type").replace(" ", "").lower(), "") if text("invoice_type") else "normal"
    if not kind:
        flag(row_of("invoice_type"), "invoice_type", value("invoice_type"), _("Write 普通 or 专用."))
        kind = "normal"
    request = {"type": kind, "title": text("invoice_title"), "tax_id": normalise_tax_id(text("tax_id")),
               "address_phone": text("invoice_address_phone"), "bank_account": text("invoice_bank_account")}
    try:
        check_buyer(Buyer(invoice_type=kind, title=request["title"], tax_id=request["tax_id"],
                          address_phone=request["address_phone"], bank_account=request["bank_account"]))
    except ValidationFailed as exc:
        for field_name, messages in exc.errors.items():
            column_key = _INVOICE_COLUMNS.get(field_name, "invoice_title")
            for message in messages:
                flag(row_of(column_key), column_key, value(column_key) or "", message)
    return request


@dataclass
class _ValidOrder:
    first_row: int
    rows: int
    channel: Channel
    external_id: str
    name: str
    phone: str
    data: OrderInput
    status: str
    payment_method: str
    paid: Decimal
    carrier: str
    tracking: str
    lines: list[dict]
    subtotal: Decimal
    discount_total: Decimal
    shipping_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount_total + self.shipping_fee


class _Checking:
    """The `_Importer`'s checking of a batch of complete orders; a valid order becomes a `_ValidOrder`."""

    formula_cells: dict = {}  # row number → file columns holding a formula (set by the reading)
    formula_slots: list = []  # (column key, file column) of the columns read

    def _existing_keys(self, keys: list[tuple[Channel, str]]) -> set[tuple[int, str]]:
        wanted = {(channel.pk, external_id) for channel, external_id in keys}
        if not wanted:
            return set()
        # By external id alone: the planner then uses its index whatever the channel's size
        # (with `channel_id = …` SQLite prefers the channel index and scans the channel's orders).
        candidates = Order.objects.filter(external_id__in={external_id for _pk, external_id in wanted})
        return wanted.intersection(candidates.values_list("channel_id", "external_id"))

    def _written_by_batch(self, already: list) -> set[tuple[int, str]]:
        """(channel id, external id) of the orders in `already` that this run's batch imported itself."""
        written = Order.objects.filter(import_record__batch_id=self.batch.pk,
                                       external_id__in={key[1] for key, _rows, _channel in already})
        return set(written.values_list("channel_id", "external_id"))

    def _load_products(self, complete: list) -> None:
        i_sku = INDEX["sku"]
        wanted = set()
        for _key, rows in complete:
            for _number, values in rows:
                sku = normalise_sku(cell_text(values[i_sku]))
                if sku and sku not in self.products and sku not in self.missing_skus:
                    wanted.add(sku)
        if wanted:
            found = products_by_sku(wanted)
            self.products.update(found)
            self.missing_skus.update(wanted - set(found))

    def _column(self, key: str) -> str:
        return self.written.get(key) or BY_KEY[key].zh

    def _check(self, key, rows: list, channel: Channel | None, errors: list[Problem]) -> _ValidOrder | None:
        problems: list[Problem] = []
        flagged: set = set()
        first_row = rows[0][0]
        external_id = key[1]

        def flag(row, column_key, raw, message) -> None:
            if (row, column_key) in flagged:
                return
            flagged.add((row, column_key))
            problems.append(Problem(row, self._column(column_key), cell_text(raw), str(message), external_id))

        # Identifier cells a spreadsheet stored as numbers, and formula cells whose saved value is unusable.
        for number, values in rows:
            for column_key, index in _IDENTIFIERS:
                raw = values[index]
                if raw is None or (raw.__class__ is str and not raw[:1].isdigit()):
                    continue
                try:
                    identifier_text(raw)
                except BadValue as exc:
                    flag(number, column_key, raw, exc.message)
        if self.formula_cells:
            self._check_formulas(rows, flag)

        # Order-level values: the first non-empty one counts; a different one on another row is an error.
        given: dict[str, tuple] = {}
        slots = self.order_slots
        first_values = None
        for number, values in rows:
            if first_values is None:
                first_values = [values[index] for _key, index in slots]
            else:
                # Fast path: a later row that repeats the first row's values or leaves them empty.
                later = [values[index] for _key, index in slots]
                if later == first_values or not any(v is not None and v != "" for v in later):
                    continue
            for column_key, index in slots:
                raw = values[index]
                if raw is None:
                    continue
                text = raw.strip() if raw.__class__ is str else cell_text(raw)  # inlined: ~16 per order
                if not text:
                    continue
                seen = given.get(column_key)
                if seen is None:
                    given[column_key] = (number, raw, text)
                elif seen[2] != text and not self._same(column_key, seen[1], raw):
                    flag(number, column_key, raw, _("Differs from “%(value)s” on row %(row)s of the same order.")
                         % {"value": seen[2], "row": seen[0]})

        def value(column_key):
            seen = given.get(column_key)
            return seen[1] if seen else None

        def text(column_key) -> str:
            seen = given.get(column_key)
            return seen[2] if seen else ""

        def row_of(column_key) -> int:
            seen = given.get(column_key)
            return seen[0] if seen else first_row

        def parsed(column_key, parser, default=None):
            seen = given.get(column_key)
            if seen is None:
                return default
            try:
                return parser(seen[1])
            except BadValue as exc:
                flag(seen[0], column_key, seen[1], exc.message)
                return default

        required = _("This field is required.")
        for column_key in ("order_number", "channel", "ordered_at", "phone"):
            if not text(column_key):
                flag(first_row, column_key, "", required)
        for column_key in ("order_number", "customer_name", "province", "city", "district", "address",
                           "tracking_number"):
            limit = BY_KEY[column_key].max_length
            if limit and len(text(column_key)) > limit:
                flag(row_of(column_key), column_key, value(column_key),
                     _("At most %(limit)s characters.") % {"limit": limit})
        ordered_at = parsed("ordered_at", parse_datetime)
        shipping_fee = parsed("shipping_fee", _amount, ZERO)
        paid = parsed("paid_amount", _amount, ZERO)
        status = parsed("status", parse_status, OrderStatus.PENDING_REVIEW)
        carrier = parsed("carrier", parse_carrier, "")
        payment_method = payment_method_code(value("payment_method")) if text("payment_method") else ""
        if paid is not None and paid < 0:
            flag(row_of("paid_amount"), "paid_amount", value("paid_amount"), _("Must not be negative."))
        tracking = text("tracking_number")
        if status in NEEDS_TRACKING and not tracking:
            flag(row_of("tracking_number"), "tracking_number", "",
                 _("A tracking number is required when the status is 已发货 or 已完成."))

        i_sku, i_qty, i_price, i_discount = INDEX["sku"], INDEX["quantity"], INDEX["unit_price"], INDEX["discount"]
        lines = []
        for number, values in rows:
            raw = values[i_sku]
            sku = raw.strip() if raw.__class__ is str else cell_text(raw)
            if not sku:
                flag(number, "sku", "", required)
            elif len(sku) > BY_KEY["sku"].max_length:
                flag(number, "sku", sku, _("At most %(limit)s characters.") % {"limit": BY_KEY["sku"].max_length})
            quantity = unit_price = None
            discount = ZERO
            raw = values[i_qty]
            if raw is None or (raw.__class__ is str and not raw.strip()):  # cell_text(raw) == "", inlined
                flag(number, "quantity", raw, required)
            else:
                try:
                    quantity = parse_quantity(raw)
                except BadValue as exc:
                    flag(number, "quantity", raw, exc.message)
            raw = values[i_price]
            if raw is None or (raw.__class__ is str and not raw.strip()):
                flag(number, "unit_price", raw, required)
            else:
                try:
                    unit_price = _amount(raw)
                except BadValue as exc:
                    flag(number, "unit_price", raw, exc.message)
            raw = values[i_discount]
            if raw is not None and (raw.__class__ is not str or raw.strip()):
                try:
                    discount = _amount(raw)
                except BadValue as exc:
                    flag(number, "discount", raw, exc.message)
            lines.append(LineInput(sku=sku, quantity=quantity, unit_price=unit_price, discount=discount))

        if channel is None and text("channel"):
            channel = self.channel_lookup.get(text("channel"))  # a row that could not be grouped
        name, phone = text("customer_name"), text("phone")
        if phone:
            try:
                phone = phone_text(value("phone"))  # 86/0086 + a mobile; a landline that lost its 0
            except BadValue as exc:
                flag(row_of("phone"), "phone", value("phone"), exc.message)
        data = OrderInput(
            channel=channel.code if channel else text("channel"), external_id=external_id,
            customer_name=name, customer_phone=phone, recipient=name, recipient_phone=phone,
            province=text("province"), city=text("city"), district=text("district"),
            address_detail=text("address"), lines=lines, ordered_at=ordered_at,
            shipping_fee=shipping_fee if shipping_fee is not None else ZERO, payment_method=payment_method,
            note=text("note"), invoice_request=_invoice_request(text, row_of, value, flag),
        )
        for path, messages in order_input_problems(data, channel=channel, products=self.products).items():
            parts = path.split(".")
            if parts[0] == "lines" and len(parts) == 3:
                number, values = rows[int(parts[1])]
                column_key = parts[2]
                raw = values[INDEX[column_key]]
                if column_key == "discount" and ((number, "unit_price") in flagged or (number, "quantity") in flagged):
                    continue  # “discount above quantity × price” only follows from the bad price or quantity
            else:
                column_key = _RULE_COLUMNS.get(path, "order_number")
                number, raw = row_of(column_key), value(column_key)
            for message in messages:
                flag(number, column_key, raw if raw is not None else "", message)
        if problems:
            errors.extend(sorted(problems, key=lambda p: (p.row or 0)))
            return None

        line_rows, subtotal, discount_total = priced_line_values(lines, self.products)
        total = subtotal - discount_total + to_money(shipping_fee)
        if paid > total:
            flag(row_of("paid_amount"), "paid_amount", value("paid_amount"),
                 _("Must not exceed the order total of ¥%(total)s.") % {"total": f"{total:,.2f}"})
            errors.extend(problems)
            return None
        return _ValidOrder(
            first_row=first_row, rows=len(rows), channel=channel, external_id=external_id, name=name.strip(),
            phone=normalise_phone(phone), data=data, status=status, payment_method=payment_method,
            paid=to_money(paid), carrier=carrier, tracking=tracking, lines=line_rows, subtotal=subtotal,
            discount_total=discount_total, shipping_fee=to_money(shipping_fee),
        )

    def _compare_with_oms(self, already: list, outcome) -> None:
        """Orders of the file already in OMS: a duplicate when the file says what OMS holds (lines and
        total), else a conflict on the order's first row saying what differs; OMS is left as it is."""
        stored = Order.objects.filter(channel_id__in={channel.pk for _key, _rows, channel in already},
                                      external_id__in={key[1] for key, _rows, _channel in already})
        by_key = {(order.channel_id, order.external_id): order for order in stored.prefetch_related("lines")}
        for key, rows, channel in already:
            order = by_key.get((channel.pk, key[1]))
            errors: list[Problem] = []
            checked = self._check(key, rows, channel, errors)
            if checked is None:  # the file's order is wrong: its rows say why
                outcome.rejected_orders += 1
                outcome.errors.extend(errors)
                continue
            differences = _differences(order, checked) if order is not None else []
            if not differences:
                outcome.duplicates += 1
                continue
            outcome.rejected_orders += 1
            outcome.errors.append(Problem(
                checked.first_row, self._column("order_number"), key[1],
                _("Conflict: this order is already in OMS as %(number)s with other lines or another total "
                  "(%(differences)s). Nothing was changed: correct the order in OMS, or correct the file.")
                % {"number": order.number, "differences": "; ".join(differences)}, key[1]))

    def _check_formulas(self, rows: list, flag) -> None:
        """Formula cells: the value the file saved is used (and listed in the run's warnings), unless it
        has none, or an error, or a 0 in a text column (what LibreOffice's .xls keeps for a text formula)."""
        formulas = self.formula_cells
        for number, values in rows:
            columns = formulas.get(number)
            if not columns:
                continue
            for column_key, index in self.formula_slots:
                if index not in columns:
                    continue
                raw = values[INDEX[column_key]]
                saved = cell_text(raw)
                if (not saved or saved.startswith("#")
                        or (column_key in _TEXT_COLUMNS and raw.__class__ is not str and not raw)):
                    flag(number, column_key, saved, _(
                        "This cell holds a formula without a usable saved value. Replace the formula by its "
                        "value (copy, then paste as values) in Excel or WPS, save and import again."))

    def _same(self, column_key: str, a, b) -> bool:
        """Two spellings of one order-level value (`100` and `¥100.00`, `天猫` and `tmall`) agree."""
        parsers = {
            "ordered_at": parse_datetime, "shipping_fee": parse_amount, "paid_amount": parse_amount,
            "status": parse_status, "carrier": parse_carrier, "payment_method": payment_method_code,
            "phone": lambda v: normalise_phone(cell_text(v)) or cell_text(v),
            "channel": lambda v: getattr(self.channel_lookup.get(v), "code", None) or cell_text(v),
        }
        parser = parsers.get(column_key)
        if parser is None:
            return False
        try:
            return parser(a) == parser(b)
        except BadValue:
            return False
