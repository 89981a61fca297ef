"""QC photos: private storage and the permission-checked view, never public media; old public files
are moved by `move_private_files` (and the migration)."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from aftersales.models import QcPhoto
from aftersales.services import LineInspection, return_request_inspect
from aftersales.tests.factories import approve, delivered_order, png_upload, receive_all, request_for
from catalog.tests.factories import ProductFactory
from core.enums import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(aftersales_clerk, warehouse_clerk):
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 1, "100.00")])
    rma = receive_all(approve(request_for(order), aftersales_clerk), warehouse_clerk)
    (line,) = rma.lines.all()
    return_request_inspect(request=rma, actor=warehouse_clerk,
                           results={line.pk: LineInspection(passed=1, photos=[png_upload("a.png")])})
    return QcPhoto.objects.get(line=line)


def test_a_qc_photo_is_stored_privately_not_in_public_media(photo, settings):
    assert (Path(settings.OMS_PRIVATE_MEDIA_ROOT) / photo.image.name).is_file()
    assert not (Path(settings.MEDIA_ROOT) / photo.image.name).exists()
    assert photo.image.url == ""


def test_the_photo_view_needs_the_qc_photo_permission(client, photo, make_user, warehouse_clerk):
    url = reverse("aftersales:photo", args=[photo.pk])
    assert client.get(url).status_code == 302
    client.force_login(make_user("reviewer-only", Role.REVIEWER))
    assert client.get(url).status_code == 403
    client.force_login(warehouse_clerk)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_move_private_files_moves_photos_left_in_public_media(photo, settings):
    private = Path(settings.OMS_PRIVATE_MEDIA_ROOT) / photo.image.name
    public = Path(settings.MEDIA_ROOT) / photo.image.name
    public.parent.mkdir(parents=True)
    private.rename(public)  # where an upload before this change lies

    call_command("move_private_files")

    assert private.is_file() and not public.exists()
    call_command("move_private_files")  # twice is harmless
    assert private.is_file()


def test_the_admin_links_the_photo_through_the_permission_checked_view(client, photo, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-Pass-123"))
    page = client.get(reverse("admin:aftersales_qcphoto_change", args=[photo.pk]))
    assert page.status_code == 200
    assert reverse("aftersales:photo", args=[photo.pk]) in page.content.decode()
    assert "/media/" not in page.content.decode()
