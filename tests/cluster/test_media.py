"""(5) A product photo uploaded through one node (the admin's product page on node A) is
served by every node and by the front, from the storage they share."""

from __future__ import annotations

import io
import re

from PIL import Image

from cluster import Cluster
from tests.cluster import figures, shop
from tests.cluster.browser import Browser

PRODUCT_ID = 12
NODES = ("a", "b", "c")


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_photo_uploaded_through_a_is_served_by_every_node(
    cluster: Cluster, staff: Browser, browser: Browser
) -> None:
    change = f"/admin/catalog/product/{PRODUCT_ID}/change/"
    page = staff.get(change, node="a")
    form = shop.buyers.form_posting_to(page.text, change, page_url=str(page.url), step="photo")
    fields = {name: value for name, value in form.filled().items() if "__prefix__" not in name}
    fields |= {
        "images-TOTAL_FORMS": "1",
        "images-0-product": str(PRODUCT_ID),
        "images-0-alt_text": "The pen in red",
        "images-0-sku": "",
        "images-0-position": "0",
        "_save": "Save",
    }
    photo = _photo()
    answer = staff.post(
        change, fields, node="a", files={"images-0-image": ("red-pen.png", photo, "image/png")}
    )
    assert answer.status_code == 200
    assert "errornote" not in answer.text, re.findall(
        r'class="errorlist[^>]*>(.*?)</ul>', answer.text
    )
    slug = fields["slug"]
    product = browser.get(f"/p/{slug}/", node="b")
    found = re.search(r'src="(/media/[^"]+)"', product.text)
    assert found, "the product page on node B shows no uploaded photo"
    url = found.group(1)
    served = 0
    for node in NODES:
        image = browser.get(url, node=node)
        assert image.status_code == 200, f"node {node}: {image.status_code}"
        assert image.content == photo
        served += 1
    through_front = browser.get(url)
    assert through_front.status_code == 200
    assert through_front.content == photo
    assert through_front.headers["x-content-type-options"] == "nosniff"
    # The positive control: a photo that is not in the shared storage is found by no node.
    missing = url.rsplit("/", 1)[0] + "/not-uploaded.png"
    assert {browser.get(missing, node=node).status_code for node in NODES} == {404}
    figures.record("(5) photo uploaded on A", "nodes serving it (+ the front)", f"{served} (+1)")
