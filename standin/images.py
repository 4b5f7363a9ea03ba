"""A small PNG for each sample subject, drawn from the answers its volunteers lean towards.

The sample gives every subject its own leaning per question of workflow 6122
(:func:`standin.sample.leaning`), so a galaxy most volunteers call smooth is drawn as a smooth
elliptical glow (round or cigar-shaped, as ``T1`` leans), a featured one as a disk seen edge-on
(``T2``) or face-on with its bulge (``T8``), bar (``T4``) and spiral arms (``T5``: how many,
``T7``; how tightly wound, ``T6``), and a star or artifact (``T0``) as a bright star with a
satellite trail. Everything sits on a dark, slightly noisy sky with a few stars. The same
subject always gives the same bytes.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

from standin import sample

SIZE = 112
# The questions drawn; a subject's leaning on each is taken with the answers of the latest
# version of workflow 6122, under which most of the sample's classifications are made.
_TASKS = ("T0", "T1", "T2", "T4", "T5", "T6", "T7", "T8")


@dataclass(frozen=True)
class Morphology:
    """What a subject looks like: the answer each question of workflow 6122 leans towards."""

    kind: str  # "smooth", "featured" or "artifact" (T0)
    roundness: int  # T1: 0 completely round, 1 in between, 2 cigar-shaped
    edge_on: bool  # T2
    bar: int  # T4: 0 none, 1 weak, 2 strong
    spiral: bool  # T5
    winding: int  # T6: 0 tight, 1 medium, 2 loose
    arms: int  # T7: 1 to 5 (more than 4 and can't tell are drawn as 5 and 2)
    bulge: int  # T8: 0 none up to the largest answer


def morphology(subject_id: int) -> Morphology:
    """The answer each question leans towards for this subject (the largest weight)."""
    counts = _answer_counts()
    top = {task: _argmax(sample.leaning(subject_id, task, counts[task])) for task in _TASKS}
    arms = top["T7"] + 1
    return Morphology(
        kind=("smooth", "featured", "artifact")[top["T0"]],
        roundness=top["T1"],
        edge_on=top["T2"] == 0,
        bar=top["T4"],
        spiral=top["T5"] == 0,
        winding=top["T6"],
        arms=2 if arms > 5 else arms,
        bulge=round(top["T8"] * 4 / max(counts["T8"] - 1, 1)),
    )


def subject_png(subject_id: int, size: int = SIZE) -> bytes:
    """The PNG of one subject, ``size`` pixels square."""
    shape = morphology(subject_id)
    rng = random.Random(f"image:{subject_id}")
    noise = np.random.default_rng(subject_id)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    x = (x - (size - 1) / 2 + rng.uniform(-2, 2)) / size
    y = (y - (size - 1) / 2 + rng.uniform(-2, 2)) / size
    angle = rng.uniform(0, math.pi)
    u = x * math.cos(angle) + y * math.sin(angle)
    v = -x * math.sin(angle) + y * math.cos(angle)
    scale = rng.uniform(0.8, 1.15)
    light = np.zeros((3, size, size))
    if shape.kind == "smooth":
        _smooth(light, u, v, scale, shape)
    elif shape.kind == "artifact":
        _artifact(light, x, y, rng)
    elif shape.edge_on:
        _edge_on(light, u, v, scale)
    else:
        _disk(light, u, v, scale, shape, rng)
    _stars(light, x, y, rng, size)
    sky = noise.normal(0.0, 0.008, (size, size))
    light += np.array([0.018, 0.022, 0.04])[:, None, None] + sky
    pixels = np.clip(np.arcsinh(light * 6) / np.arcsinh(6) * 255, 0, 255).astype(np.uint8)
    image = Image.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0)), "RGB")
    image = image.quantize(colors=48, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


# -- the shapes ---------------------------------------------------------------------------------

_WARM = np.array([1.0, 0.82, 0.6])  # old stars: bulges and ellipticals
_BLUE = np.array([0.62, 0.75, 1.0])  # young stars: disks and arms
_WHITE = np.array([1.0, 1.0, 1.0])


def _add(light: np.ndarray, colour: np.ndarray, brightness: np.ndarray) -> None:
    light += colour[:, None, None] * brightness


def _smooth(
    light: np.ndarray, u: np.ndarray, v: np.ndarray, scale: float, shape: Morphology
) -> None:
    """A de Vaucouleurs-like glow, as round or elongated as ``T1`` leans."""
    axis_ratio = (1.0, 0.62, 0.3)[shape.roundness]
    r = np.hypot(u, v / axis_ratio) / (0.09 * scale)
    _add(light, _WARM, 1.3 * np.exp(-2.2 * r**0.5) + 0.4 * np.exp(-((r / 2.2) ** 2)))


def _edge_on(light: np.ndarray, u: np.ndarray, v: np.ndarray, scale: float) -> None:
    """A thin streak with a central bulge and a dark dust lane along it."""
    length = 0.38 * scale
    disk = np.exp(-np.abs(u) / (length / 3)) * np.exp(-((v / 0.03) ** 2))
    lane = 1 - 0.6 * np.exp(-((v / 0.008) ** 2)) * (np.abs(u) < length)
    bulge = np.exp(-np.hypot(u, v * 1.5) / 0.04)
    _add(light, _BLUE, 1.3 * disk * lane)
    _add(light, _WARM, 0.9 * bulge)


def _disk(
    light: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    scale: float,
    shape: Morphology,
    rng: random.Random,
) -> None:
    """A face-on or inclined disk with its bulge, bar and spiral arms."""
    inclination = rng.uniform(0.55, 1.0)  # axis ratio of the projected disk
    uu, vv = u, v / inclination
    radius = np.hypot(uu, vv) / scale
    theta = np.arctan2(vv, uu)
    disk = np.exp(-radius / 0.11)
    if shape.spiral:
        pitch = math.radians((11, 20, 32)[shape.winding])
        phase = theta - np.log(np.maximum(radius, 1e-3) / 0.05) / math.tan(pitch)
        arms = ((1 + np.cos(shape.arms * phase)) / 2) ** 2
        taper = np.clip(radius / 0.05, 0, 1) * np.exp(-radius / 0.16)
        _add(light, _BLUE, 0.25 * disk + 1.1 * arms * taper)
    else:
        _add(light, _BLUE, 0.7 * np.exp(-radius / 0.13))
    if shape.bar:
        bar = np.exp(-((uu / (0.1 * scale)) ** 4) - (vv / (0.022 * scale)) ** 2)
        _add(light, _WARM, (0.35, 0.6, 0.95)[shape.bar] * bar)
    bulge_size = (0.008, 0.014, 0.02, 0.028, 0.038)[shape.bulge]
    _add(light, _WARM, 1.2 * np.exp(-np.hypot(u, v) / (bulge_size * scale)))


def _artifact(light: np.ndarray, x: np.ndarray, y: np.ndarray, rng: random.Random) -> None:
    """A saturated star with diffraction spikes, crossed by a satellite trail."""
    cx, cy = rng.uniform(-0.1, 0.1), rng.uniform(-0.1, 0.1)
    dx, dy = x - cx, y - cy
    core = np.exp(-np.hypot(dx, dy) / 0.02)
    spikes = np.exp(-np.abs(dx) / 0.004) * np.exp(-np.abs(dy) / 0.18)
    spikes += np.exp(-np.abs(dy) / 0.004) * np.exp(-np.abs(dx) / 0.18)
    _add(light, _WHITE, 2.0 * core + 0.7 * spikes)
    slope = math.tan(rng.uniform(-1.2, 1.2))
    offset = rng.uniform(-0.3, 0.3)
    distance = np.abs(y - slope * x - offset) / math.hypot(1, slope)
    _add(light, _WHITE, 0.5 * np.exp(-((distance / 0.006) ** 2)))


def _stars(light: np.ndarray, x: np.ndarray, y: np.ndarray, rng: random.Random, size: int) -> None:
    """A few foreground stars, away from the middle."""
    for _ in range(rng.randrange(2, 6)):
        while True:
            sx, sy = rng.uniform(-0.47, 0.47), rng.uniform(-0.47, 0.47)
            if math.hypot(sx, sy) > 0.25:
                break
        width = rng.uniform(0.6, 1.3) / size
        brightness = rng.uniform(0.3, 1.5)
        tint = np.array([1.0, rng.uniform(0.85, 1.0), rng.uniform(0.7, 1.0)])
        _add(light, tint, brightness * np.exp(-((x - sx) ** 2 + (y - sy) ** 2) / (2 * width**2)))


@cache
def _answer_counts() -> dict[str, int]:
    latest = sample.workflow_6122_versions()[-1]["tasks"]
    return {task: len(latest[task]["answers"]) for task in _TASKS}


def _argmax(weights: list[float]) -> int:
    return max(range(len(weights)), key=weights.__getitem__)
