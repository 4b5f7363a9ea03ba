"""The stand-in's subject images: deterministic small PNGs that look like what volunteers say."""

from __future__ import annotations

import io
from collections import Counter

import numpy as np
import orjson
import pytest
from PIL import Image

from standin import images, lab_exports, sample
from standin.data import IMAGE_ROOT, StandInData

SUBJECTS = [int(s["id"]) for s in sample.generate(n_classifications=0, n_subjects=200).subjects]


def first(**wanted: object) -> int:
    """The first sample subject whose morphology has these attributes."""
    for subject_id in SUBJECTS:
        shape = images.morphology(subject_id)
        if all(getattr(shape, key) == value for key, value in wanted.items()):
            return subject_id
    raise AssertionError(f"no sample subject with {wanted}")


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64)


def galaxy_light(png: bytes) -> np.ndarray:
    """Brightness above the sky within the middle of the image (where no star is put)."""
    rgb = pixels(png)
    size = rgb.shape[0]
    y, x = np.mgrid[0:size, 0:size] - (size - 1) / 2
    light = np.clip(rgb.mean(axis=2) - np.median(rgb.mean(axis=2)) - 10, 0, None)
    return np.where(np.hypot(x, y) < 0.24 * size, light, 0)


def elongation(png: bytes) -> float:
    """Major over minor axis of the light's second moments (1 for a round glow)."""
    light = galaxy_light(png)
    y, x = np.mgrid[0 : light.shape[0], 0 : light.shape[1]]
    total = light.sum()
    mx, my = (light * x).sum() / total, (light * y).sum() / total
    cov = np.cov(np.stack([(x - mx).ravel(), (y - my).ravel()]), aweights=light.ravel())
    small, large = np.linalg.eigvalsh(cov)
    return float(np.sqrt(large / small))


def test_the_same_subject_gives_the_same_bytes_and_others_differ():
    drawn = images.subject_png(SUBJECTS[0])
    assert images.subject_png(SUBJECTS[0]) == drawn
    assert images.subject_png(SUBJECTS[1]) != drawn


@pytest.mark.parametrize("size", [images.SIZE, 96])
def test_a_subject_image_is_a_small_valid_png_of_the_size_asked(size):
    png = images.subject_png(SUBJECTS[2], size)

    image = Image.open(io.BytesIO(png))
    image.verify()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(png)).size == (size, size)
    assert len(png) < 16_000


def test_the_drawn_kind_is_what_most_of_a_subjects_volunteers_answer():
    generated = sample.generate(n_classifications=3_000, n_subjects=30, seed=7)
    kinds = ("smooth", "featured", "artifact")
    votes: dict[int, Counter] = {}
    for classification in generated.classifications:
        subject_id = int(classification["links"]["subjects"][0])
        t0 = next(a["value"] for a in classification["annotations"] if a["task"] == "T0")
        votes.setdefault(subject_id, Counter())[kinds[t0]] += 1

    agree = sum(
        images.morphology(subject_id).kind == counted.most_common(1)[0][0]
        for subject_id, counted in votes.items()
    )
    assert agree >= 0.9 * len(votes)


def test_a_smooth_galaxy_is_a_warm_glow_and_a_spiral_a_blue_disk():
    smooth = pixels(images.subject_png(first(kind="smooth", roundness=0)))
    spiral = pixels(images.subject_png(first(kind="featured", edge_on=False, spiral=True)))

    def red_over_blue(rgb: np.ndarray) -> float:
        bright = rgb.mean(axis=2) > 90
        return float(rgb[bright, 0].mean() / rgb[bright, 2].mean())

    assert red_over_blue(smooth) > 1.1
    assert red_over_blue(spiral) < 1.0


def test_a_round_smooth_galaxy_is_round_and_an_edge_on_disk_a_streak():
    round_glow = images.subject_png(first(kind="smooth", roundness=0))
    cigar = images.subject_png(first(kind="smooth", roundness=2))
    edge_on = images.subject_png(first(kind="featured", edge_on=True))

    assert elongation(round_glow) < 1.3
    assert elongation(cigar) > 2
    assert elongation(edge_on) > 3


def test_an_artifact_is_a_saturated_star_not_a_galaxy():
    artifact = pixels(images.subject_png(first(kind="artifact")))
    smooth = pixels(images.subject_png(first(kind="smooth")))

    def saturated(rgb: np.ndarray) -> int:
        return int((rgb.min(axis=2) >= 250).sum())

    assert saturated(artifact) > saturated(smooth)


def test_only_the_samples_own_images_are_left_for_the_standin_to_draw():
    generated = sample.generate(n_classifications=0, n_subjects=2)
    drawn, own = generated.subjects
    own = {**own, "locations": [{"image/jpeg": "https://example.org/a.jpg"}]}

    data = StandInData([], [drawn, own], [], [])

    assert data.drawn == {int(drawn["id"])}
    assert orjson.loads(data.subjects[int(drawn["id"])])["locations"] == [
        {"image/png": f"{IMAGE_ROOT}/subject_images/{drawn['id']}.png"}
    ]
    assert orjson.loads(data.subjects[int(own["id"])])["locations"] == own["locations"]


def test_lab_exports_point_at_a_running_standins_images_only_when_told_its_root():
    generated = sample.generate(n_classifications=0, n_subjects=1)
    subject_id = generated.subjects[0]["id"]

    (plain,) = lab_exports.subject_rows(generated)
    (served,) = lab_exports.subject_rows(generated, "http://127.0.0.1:8765")

    column = lab_exports.SUBJECT_HEADER.index("locations")
    assert orjson.loads(plain[column])["0"].startswith("https://panoptes-uploads.zooniverse.org/")
    assert orjson.loads(served[column]) == {
        "0": f"http://127.0.0.1:8765/subject_images/{subject_id}.png"
    }
