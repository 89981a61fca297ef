"""Personal data encrypted at rest, and found again through keyed hashes (blind indexes).

Encryption is django-fernet-encrypted-fields' (Fernet: AES-128-CBC + HMAC-SHA256, from PyCA's
`cryptography`), with one change: its keys are derived from `SECRET_KEY` × `SALT_KEY`, so rotating
Django's secret key would have made every stored phone unreadable. Here the keys are our own,
`OMS_FIELD_ENCRYPTION_KEYS` (Fernet keys, newest first): new values are encrypted with the newest,
reads try each in turn (MultiFernet), and `manage.py rotate_field_keys` re-encrypts what an older
key wrote, after which that key can be removed (docs/security.md).

A ciphertext cannot be searched, so each searchable field has a derived column next to it that its
field computes on every save (`pre_save`, like `auto_now`; `core.bulk` derives it for hand-written
INSERTs): the HMAC-SHA256 of the normalised value under `OMS_BLIND_INDEX_KEY` (truncated to 96
bits: no collision among billions of values, and still useless without the key). Exact search
(`phone=…`) becomes `phone_index=blind_index("phone", …)`. The last four digits of a phone, which
every masked screen already shows (139****6789), are kept plainly in their own indexed column.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import weakref
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from encrypted_fields import fields as library

from core.phones import normalise_phone

INDEX_HEX_LENGTH = 24  # 96 bits of the HMAC
# Every Fernet token starts with version byte 0x80 and a 64-bit timestamp: base64 "gAAAAA…".
TOKEN_PREFIX = "gAAAAA"


# -- keys -----------------------------------------------------------------------------------------

# Built once per key set and process (a Fernet parses its key and derives its signing and
# encryption keys when it is made); looked up per call so that tests can override the settings.
@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(key) for key in keys])


@lru_cache(maxsize=8)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode("ascii"))


def field_fernet() -> MultiFernet:
    """Encrypts with the newest key, decrypts with any (read per call, so tests can override settings)."""
    return _multi_fernet(tuple(settings.OMS_FIELD_ENCRYPTION_KEYS))


def newest_fernet() -> Fernet:
    return _fernet(settings.OMS_FIELD_ENCRYPTION_KEYS[0])


def encrypt_text(value: str) -> str:
    return field_fernet().encrypt(value.encode("utf-8")).decode("ascii")


def looks_encrypted(value) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX) and len(value) >= 100


def decrypt_text(value: str) -> str:
    """The plaintext of a token; a value that is no token at all (a row written before encryption,
    not yet migrated) is returned as it is. A token no configured key opens raises InvalidToken:
    showing or re-encrypting it as if it were plaintext would hide that a key is missing."""
    if not looks_encrypted(value):
        return value
    return field_fernet().decrypt(value.encode("ascii")).decode("utf-8")


# -- fields ---------------------------------------------------------------------------------------

class Sealed(str):
    """A plaintext its field has just encrypted for one row, with that ciphertext (`token`).

    An encrypted field's `pre_save` leaves this on the instance it saves. django-simple-history
    copies the instance's values into the history row it writes in the same save; that row's field
    then takes the ciphertext instead of encrypting the same value again (half the encryption of
    every audited save). Taken once, only by a history row of the same object: anywhere else
    (another row given this value, a later save) the value is encrypted afresh, so two rows never
    share a token beyond an object and its history record of the same save. Pickled and copied as
    a plain string.
    """

    token: str

    @classmethod
    def of(cls, plaintext: str, *, owner) -> Sealed:
        sealed = cls(plaintext)
        sealed.token = encrypt_text(plaintext)
        sealed._owner = weakref.ref(owner)
        sealed._taken = False
        return sealed

    def take_for_history(self, record) -> str | None:
        """The ciphertext, if `record` is the history row of the object sealed for; once."""
        owner = self._owner()
        tracked = getattr(type(record), "instance_type", None)  # simple_history's historical models
        if (self._taken or owner is None or tracked is None or not isinstance(owner, tracked)
                or owner.pk is None or getattr(record, owner._meta.pk.attname, None) != owner.pk):
            return None
        self._taken = True
        return self.token

    def __reduce__(self):
        return str, (str(self),)


class _Ciphertext:
    """What `pre_save` hands to `get_prep_value`: a value encrypted already."""

    __slots__ = ("token",)

    def __init__(self, token: str):
        self.token = token


class KeysFromSettings:
    """The library's field mixin, with our keys instead of ones derived from SECRET_KEY."""

    oms_encrypted = True

    @property
    def f(self) -> MultiFernet:  # the library's name for its (Multi)Fernet
        return field_fernet()

    def get_prep_value(self, value):
        # The library's chain (CharField.get_prep_value -> to_python) first tried to *decrypt* each
        # plaintext, failing with an exception: a third of the import's encryption time. What it did
        # is kept: lazy and other non-string values become text, None stays NULL.
        if value is None:
            return None
        if value.__class__ is _Ciphertext:
            return value.token
        if not isinstance(value, str):
            value = str(value)
        if value == "":
            return ""  # NOT NULL columns: the library would store None for an empty value
        return encrypt_text(value)

    def pre_save(self, model_instance, add):
        # Encrypted here, where the row is known: see Sealed.
        value = getattr(model_instance, self.attname)
        if not isinstance(value, str) or value == "":
            return value
        if isinstance(value, Sealed):
            token = value.take_for_history(model_instance)
            if token is not None:
                return _Ciphertext(token)
        sealed = Sealed.of(str(value), owner=model_instance)
        setattr(model_instance, self.attname, sealed)
        return _Ciphertext(sealed.token)

    def get_lookup(self, lookup_name):
        # `phone=…` would compare with a fresh ciphertext and silently find nothing: search the
        # field's blind index instead. Only `isnull` means the same on ciphertext.
        if lookup_name != "isnull":
            from django.core.exceptions import FieldError

            raise FieldError(f"{self.model.__name__}.{self.name} is encrypted: look it up by its blind index, "
                             f"not with __{lookup_name}")
        return super().get_lookup(lookup_name)

    def from_db_value(self, value, expression, connection):
        # Straight to the plaintext: the library's to_python would try a second decryption of it
        # (an exception per value read), and a stored value is always ciphertext, whatever a form
        # on another thread is cleaning (the library's `_already_decrypted` flag is per field).
        if isinstance(value, str):
            return decrypt_text(value)
        return value

    def to_python(self, value):
        if isinstance(value, str) and not hasattr(self, "_already_decrypted"):
            value = decrypt_text(value)  # the library passes undecryptable tokens through silently
        # Past the library's to_python, which would try to decrypt the plaintext once more.
        return super(library.EncryptedFieldMixin, self).to_python(value)


class EncryptedCharField(KeysFromSettings, library.EncryptedCharField):
    pass


class EncryptedEmailField(KeysFromSettings, library.EncryptedEmailField):
    pass


class EncryptedTextField(KeysFromSettings, library.EncryptedTextField):
    pass


class EncryptedJSONField(KeysFromSettings, library.EncryptedTextField):
    """A JSON document encrypted whole. (The library's EncryptedJSONField encrypts each leaf as a
    string, so a webhook's `"amount": 12.5` or `"signed": false` would come back as "12.5" and
    "False", and the document's shape stays readable.)"""

    def __init__(self, *args, encoder=DjangoJSONEncoder, **kwargs):
        self.encoder = encoder
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        return getattr(model_instance, self.attname)  # no Sealed: a document, encrypted whole below

    def get_prep_value(self, value):
        if value is None:
            return None
        text = json.dumps(value, cls=self.encoder, ensure_ascii=False, separators=(",", ":"))
        return encrypt_text(text)

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(decrypt_text(value))
            except json.JSONDecodeError:
                return value
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), cls=self.encoder, ensure_ascii=False)

    def formfield(self, **kwargs):
        from django import forms

        return super(library.EncryptedTextField, self).formfield(**{"form_class": forms.JSONField, **kwargs})


class EncryptedSparseJSONField(EncryptedJSONField):
    """An EncryptedJSONField whose empty document ({} or []) is stored as it is: there is nothing to
    hide in it, and most orders carry no invoice request, so the import does not pay one encryption
    per order (and one per history row) for nothing. Anything else is encrypted whole."""

    def get_prep_value(self, value):
        if value == {} or value == []:
            return json.dumps(value)
        return super().get_prep_value(value)


# -- blind indexes --------------------------------------------------------------------------------

def normalise_for_index(kind: str, value) -> str:
    text = str(value or "").strip()
    if kind == "phone":
        return normalise_phone(text) or text
    if kind == "email":
        return text.lower()
    if kind == "secret":  # webhook secrets: unique per sender without being stored readable
        return text
    raise ValueError(f"unknown blind index kind {kind!r}")


@lru_cache(maxsize=4)
def _keyed_hmac(key: str):
    """The HMAC with its key already absorbed, copied per value (once per key and process)."""
    return hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256)


def _index_with(key: str, kind: str, value) -> str:
    normal = normalise_for_index(kind, value)
    if not normal:
        return ""
    mac = _keyed_hmac(key).copy()
    mac.update(f"{kind}:{normal}".encode())
    return mac.hexdigest()[:INDEX_HEX_LENGTH]


def blind_index(kind: str, value) -> str:
    """The keyed hash stored for `value` ("" for an empty value)."""
    return _index_with(settings.OMS_BLIND_INDEX_KEY, kind, value)


def blind_index_lookups(kind: str, value) -> list[str]:
    """What to look a value up by: its hash under the current index key, and under the previous
    one while `rotate_field_keys` re-indexes after an index key change (OMS_BLIND_INDEX_PREVIOUS_KEY)."""
    hashes = [blind_index(kind, value)]
    previous = getattr(settings, "OMS_BLIND_INDEX_PREVIOUS_KEY", "")
    if previous:
        hashes.append(_index_with(previous, kind, value))
    return [h for h in hashes if h]


def phone_last4(value) -> str:
    digits = normalise_for_index("phone", value)
    if not (digits.isascii() and digits.isdigit()):  # a mobile number (nearly all) is digits already
        digits = "".join(ch for ch in digits if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


class DerivedSearchField(models.CharField):
    """A search column computed from another field of the same row on every save.

    Index it in the model's `Meta.indexes`, not with `db_index`: simple_history copies `db_index`
    to the history table, where nobody searches and every import would pay for the index."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def derive(self, value) -> str:
        raise NotImplementedError

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in (("editable", False), ("blank", True), ("default", "")):
            if kwargs.get(key) == default:
                del kwargs[key]
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = self.derive(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


class BlindIndexField(DerivedSearchField):
    def __init__(self, *args, source: str, kind: str, **kwargs):
        self.kind = kind
        kwargs.setdefault("max_length", INDEX_HEX_LENGTH)
        super().__init__(*args, source=source, **kwargs)

    def derive(self, value) -> str:
        return blind_index(self.kind, value)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs


class PhoneLast4Field(DerivedSearchField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 4)
        super().__init__(*args, **kwargs)

    def derive(self, value) -> str:
        return phone_last4(value)


__all__ = ["InvalidToken", "blind_index", "blind_index_lookups", "phone_last4", "field_fernet", "newest_fernet",
           "encrypt_text", "decrypt_text", "looks_encrypted"]


# -- re-encryption (the data migration and `rotate_field_keys`) -----------------------------------

_DERIVE = {"phone": lambda v: blind_index("phone", v), "email": lambda v: blind_index("email", v),
           "secret": lambda v: blind_index("secret", v), "last4": phone_last4}


class UnknownKey(Exception):
    """A stored token that no configured key opens: its key was removed before rotation finished."""


def _open(raw, newest: Fernet, every: MultiFernet) -> tuple[str | None, bool]:
    """(plaintext, needs rewriting) of one stored value."""
    if raw is None or raw == "":
        return raw, False
    if not looks_encrypted(raw):
        return raw, True  # written before encryption: encrypt it
    token = raw.encode("ascii")
    try:
        return newest.decrypt(token).decode("utf-8"), False
    except InvalidToken:
        pass
    try:
        return every.decrypt(token).decode("utf-8"), True
    except InvalidToken as exc:
        raise UnknownKey from exc


def reseal_table(connection, *, table: str, pk: str, columns: list[str], derived: list[tuple[str, str, str]],
                 batch_size: int = 1000, start_after: int = 0, progress=None) -> tuple[int, int]:
    """Bring every row of `table` onto the newest key: plaintext encrypted, older tokens re-encrypted,
    `derived` columns (column, source column, "phone"/"email"/"last4") recomputed under the current
    index key. Raw SQL in primary-key batches, one transaction per batch: works on SQLite and
    PostgreSQL, and a run stopped half-way resumes where it was (rows already done are skipped).
    Returns (rows read, rows rewritten); `progress(last_pk, read, rewritten)` after each batch."""
    from django.db import transaction

    newest, every = newest_fernet(), field_fernet()
    quote = connection.ops.quote_name
    derived_columns = [column for column, _source, _kind in derived]
    selected = [pk, *columns, *derived_columns]
    select = (f"SELECT {', '.join(quote(c) for c in selected)} FROM {quote(table)} "
              f"WHERE {quote(pk)} > %s ORDER BY {quote(pk)} LIMIT %s")
    written = [*columns, *derived_columns]
    update = (f"UPDATE {quote(table)} SET {', '.join(f'{quote(c)} = %s' for c in written)} "
              f"WHERE {quote(pk)} = %s")
    last, read, rewritten = start_after, 0, 0
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(select, [last, batch_size])
            rows = cursor.fetchall()
            if not rows:
                break
            changes = []
            for row in rows:
                plain, values, dirty = {}, [], False
                for name, raw in zip(columns, row[1:1 + len(columns)], strict=True):
                    try:
                        text, rewrite = _open(raw, newest, every)
                    except UnknownKey:
                        raise UnknownKey(f"{table}.{name} of row {row[0]} was encrypted with a key that is not in "
                                         "OMS_FIELD_ENCRYPTION_KEYS (removed too early?)") from None
                    plain[name] = text
                    values.append(newest.encrypt(text.encode("utf-8")).decode("ascii") if rewrite else raw)
                    dirty |= rewrite
                for (_column, source, kind), stored in zip(derived, row[1 + len(columns):], strict=True):
                    value = _DERIVE[kind](plain[source])
                    values.append(value)
                    dirty |= value != (stored or "")
                if dirty:
                    changes.append([*values, row[0]])
            if changes:
                cursor.executemany(update, changes)
        last = rows[-1][0]
        read += len(rows)
        rewritten += len(changes)
        if progress is not None:
            progress(last, read, rewritten)
    return read, rewritten


def unseal_table(connection, *, table: str, pk: str, columns: list[str], derived=(), batch_size: int = 1000,
                 **_ignored) -> int:
    """The reverse of `reseal_table` (a migration run backwards): every encrypted value back to
    plaintext, in the same batches. The search columns are left as they are (the schema migration
    before it drops them). Returns the rows rewritten."""
    from django.db import transaction

    every = field_fernet()
    quote = connection.ops.quote_name
    select = (f"SELECT {', '.join(quote(c) for c in [pk, *columns])} FROM {quote(table)} "
              f"WHERE {quote(pk)} > %s ORDER BY {quote(pk)} LIMIT %s")
    update = (f"UPDATE {quote(table)} SET {', '.join(f'{quote(c)} = %s' for c in columns)} WHERE {quote(pk)} = %s")
    last, rewritten = 0, 0
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(select, [last, batch_size])
            rows = cursor.fetchall()
            if not rows:
                return rewritten
            changes = [[every.decrypt(v.encode("ascii")).decode("utf-8") if looks_encrypted(v) else v
                        for v in row[1:]] + [row[0]] for row in rows if any(looks_encrypted(v) for v in row[1:])]
            if changes:
                cursor.executemany(update, changes)
        last = rows[-1][0]
        rewritten += len(changes)


def table_spec(model) -> dict | None:
    """`reseal_table`'s arguments for a model (or a migration's historical model) with encrypted
    fields: found from the fields themselves, so a new encrypted field needs no list kept elsewhere."""
    columns = [f.column for f in model._meta.local_concrete_fields if getattr(f, "oms_encrypted", False)]
    if not columns:
        return None
    by_name = {f.name: f for f in model._meta.local_concrete_fields}
    derived = []
    for field in model._meta.local_concrete_fields:
        if isinstance(field, DerivedSearchField):
            kind = field.kind if isinstance(field, BlindIndexField) else "last4"
            derived.append((field.column, by_name[field.source].column, kind))
    return {"table": model._meta.db_table, "pk": model._meta.pk.column, "columns": sorted(columns),
            "derived": sorted(derived)}


def encrypted_table_specs(models) -> list[dict]:
    return [spec for model in models if not model._meta.proxy and (spec := table_spec(model)) is not None]


def reseal_models_operation(app_label: str, *model_names: str):
    """The data migration that follows a schema migration adding encrypted fields: forwards, the
    models' existing rows are encrypted (`reseal_table`, batched; a run stopped half-way is simply
    run again); backwards, decrypted again (`unseal_table`; keep the keys until then). The
    migration using it must say `atomic = False`: each batch commits on its own."""
    from django.db import migrations

    def specs(apps):
        return encrypted_table_specs(apps.get_model(app_label, name) for name in model_names)

    def encrypt_rows(apps, schema_editor):
        for spec in specs(apps):
            reseal_table(schema_editor.connection, **spec)

    def decrypt_rows(apps, schema_editor):
        for spec in specs(apps):
            unseal_table(schema_editor.connection, **spec)

    return migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False)
