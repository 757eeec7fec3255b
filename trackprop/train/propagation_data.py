"""Training pairs for the propagation network, cut exactly as inference cuts them.

A sample: frame t of a composited video, one object, and a previous mask that is either the
object's mask a few frames away (real motion) or a virtual previous mask (the object's mask at t
under a random affine); then ellipse noise. The ROI is the object's box at t jittered as a
tracker would miss it, enlarged as at inference; image, previous mask and target are cropped to
the network's square input and jointly augmented.
"""

from __future__ import annotations

import functools
import multiprocessing
from dataclasses import dataclass

import cv2
import numpy as np
from tqdm import tqdm

from trackprop.boxes import mask_box
from trackprop.config import RoiConfig
from trackprop.data.davis import DavisRoot
from trackprop.masks import MaskStore
from trackprop.propagators.roi_tracker import LOST_GROWTH
from trackprop.roi import crop_roi, expand_box, object_crop, search_region
from trackprop.train.augment import (
    JointAugment,
    grow_into_neighbour,
    one_side,
    paint_ellipses,
    paste_twin,
    virtual_previous_mask,
)


@dataclass(frozen=True)
class PairConfig:
    real_pair_probability: float = 0.5  # previous mask from another frame, else virtual
    max_frame_gap: int = 3
    noise_probability: float = 0.7  # paint ellipse noise on the previous mask
    box_jitter: float = 0.15  # tracker error: shift and log-scale, as a fraction of box size
    lost_probability: float = 0.05  # the ROI misses the object (mostly empty target)
    neighbour_probability: float = 0.0  # the previous mask slid onto (part of) another object
    # The object is hidden (behind an occluder, out of frame) and the ROI sits where it was last
    # seen: the target is empty, so the network learns to let go of an occluder or background.
    hidden_probability: float = 0.0
    # The previous mask shows only one side of the object, which was half hidden (behind an
    # occluder that moves off, or outside the frame) and now shows whole: the network learns to
    # take the revealed part back instead of shrinking to the part it was shown.
    revealed_probability: float = 0.0
    # A copy of the object is pasted beside it and stays background (train/augment.py,
    # paste_twin): the network learns to follow its previous mask, not the look-alike.
    twin_probability: float = 0.0
    # The object was lost a few frames ago and is searched for where it was last seen, in a
    # grown ROI, with its last seen mask as the previous mask (propagators/roi_tracker.py): the
    # network learns to pick it up again where it shows there.
    refind_probability: float = 0.0


HIDDEN_REACH = 5  # a hidden frame counts if the object shows within this many frames of it
# A re-found object was last seen this many frames before (or after) the sample's frame.
REFIND_GAPS = (4, 15)


def read_video(root: str, name: str) -> tuple[list[bytes], MaskStore, list[list[int]]]:
    """A video's frames as their JPEG bytes, its label maps compressed, and the objects each
    frame shows."""
    davis = DavisRoot(root)
    paths = davis.frame_paths(name)
    maps = [davis.read_annotation(name, t) for t in range(len(paths))]
    store = MaskStore(len(paths), *maps[0].shape)
    for t, labels in enumerate(maps):
        store[t] = labels
    shown = [[int(o) for o in np.unique(labels) if o != 0] for labels in maps]
    return [path.read_bytes() for path in paths], store, shown


class VideoStore:
    """All frames and label maps of a DAVIS split, held compressed in memory.

    Frames stay as their JPEG bytes and label maps as zlib bytes (about 1/20 of the raw size), so
    a few thousand 480p frames fit in a few hundred MB; a sample decodes only what it uses.
    """

    def __init__(self, root: str, split: str, limit: int | None = None, workers: int = 0):
        names = DavisRoot(root).sequences(split)[:limit]
        read = functools.partial(read_video, root)
        if workers > 0:  # on a GPU machine: the videos of a large set in a few seconds
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                videos = list(
                    tqdm(pool.imap(read, names), f"loading {split}", len(names), leave=False)
                )
        else:
            videos = [read(name) for name in tqdm(names, desc=f"loading {split}", leave=False)]
        self.frames: list[list[bytes]] = [frames for frames, _, _ in videos]
        self.labels: list[MaskStore] = [labels for _, labels, _ in videos]
        self.index: list[tuple[int, int, int]] = [  # (video, frame, object) with the object visible
            (v, t, o)
            for v, (_, _, shown) in enumerate(videos)
            for t, objects in enumerate(shown)
            for o in objects
        ]
        self.showing: dict[tuple[int, int], list[int]] = {}  # (video, object) -> its frames
        for v, t, obj in self.index:
            self.showing.setdefault((v, obj), []).append(t)
        self.hidden: list[Item] = []  # (video, frame, object) with the object gone but near
        for (v, obj), shown in self.showing.items():
            near = np.zeros(self.labels[v].num_frames, bool)
            for t in shown:
                near[max(t - HIDDEN_REACH, 0) : t + HIDDEN_REACH + 1] = True
            near[shown] = False
            self.hidden.extend((v, int(t), obj) for t in np.flatnonzero(near))

    @property
    def num_videos(self) -> int:
        return len(self.frames)

    def frame(self, video: int, t: int) -> np.ndarray:
        """(H,W,3) uint8 RGB."""
        return cv2.cvtColor(
            cv2.imdecode(np.frombuffer(self.frames[video][t], np.uint8), cv2.IMREAD_COLOR),
            cv2.COLOR_BGR2RGB,
        )

    def label_map(self, video: int, t: int) -> np.ndarray:
        return self.labels[video][t]

    def seen_apart(
        self, video: int, t: int, obj: int, gaps: tuple[int, int], rng: np.random.Generator
    ) -> int | None:
        """A frame `gaps[0]`..`gaps[1]` frames before or after t that shows the object, at
        random; None if there is none."""
        shown = np.asarray(self.showing[(video, obj)])
        apart = shown[(np.abs(shown - t) >= gaps[0]) & (np.abs(shown - t) <= gaps[1])]
        return int(rng.choice(apart)) if apart.size else None

    def last_seen(self, video: int, t: int, obj: int) -> int:
        """The frame nearest to t that shows the object."""
        shown = np.asarray(self.showing[(video, obj)])
        return int(shown[np.argmin(np.abs(shown - t))])


Item = tuple[int, int, int]  # (video, frame, object)
Pair = tuple[np.ndarray, np.ndarray, np.ndarray]  # image (S,S,3), previous mask, target (S,S)


def sample_pair(
    store: VideoStore, rng: np.random.Generator, roi: RoiConfig, config: PairConfig = PairConfig()
) -> Pair:
    """(image (S,S,3) uint8, previous mask (S,S) uint8, target (S,S) uint8) for one sample."""
    return cut_pair(store, draw_item(store, rng, config), rng, roi, config)


def draw_item(store: VideoStore, rng: np.random.Generator, config: PairConfig) -> Item:
    """A visible object-frame, or with `hidden_probability` a hidden one."""
    if config.hidden_probability and store.hidden and rng.random() < config.hidden_probability:
        return store.hidden[rng.integers(len(store.hidden))]
    return store.index[rng.integers(len(store.index))]


def cut_pair(
    store: VideoStore, item: Item, rng: np.random.Generator, roi: RoiConfig, config: PairConfig
) -> Pair:
    """The sample of one object in one frame (`item`), cut as inference cuts it."""
    v, t, obj = item
    count = store.labels[v].num_frames
    labels = store.label_map(v, t)
    target = (labels == obj).astype(np.uint8)
    if not target.any():
        # Hidden: the previous mask is where it was last seen, and the tracker boxes it there.
        previous = (store.label_map(v, store.last_seen(v, t, obj)) == obj).astype(np.uint8)
        box = mask_box(previous)  # before the noise, which may erase a small mask
        if rng.random() < config.noise_probability:
            previous = paint_ellipses(previous, rng)
        return cut_around(store.frame(v, t), previous, target, box, rng, roi, config)
    # Drawn only when asked for, so that trainings without it keep their random stream.
    if config.refind_probability and rng.random() < config.refind_probability:
        seen = store.seen_apart(v, t, obj, REFIND_GAPS, rng)
        if seen is not None:
            return cut_refound(store.frame(v, t), store.label_map(v, seen) == obj, target, rng, roi)
    if rng.random() < config.real_pair_probability:
        gap = int(rng.integers(1, config.max_frame_gap + 1)) * int(rng.choice([-1, 1]))
        previous = (store.label_map(v, int(np.clip(t + gap, 0, count - 1))) == obj).astype(np.uint8)
        if previous.sum() == 0:
            previous = virtual_previous_mask(target, rng)
    else:
        previous = virtual_previous_mask(target, rng)
    # Drawn only when asked for, so that trainings without it keep their random stream.
    if config.revealed_probability and rng.random() < config.revealed_probability:
        previous = one_side(previous > 0, rng).astype(np.uint8)
    if rng.random() < config.neighbour_probability:
        previous = grow_into_neighbour(previous > 0, target > 0, labels, rng).astype(np.uint8)
    if rng.random() < config.noise_probability:
        previous = paint_ellipses(previous, rng)
    image = store.frame(v, t)
    # Drawn only when asked for, as the revealed masks above.
    if config.twin_probability and rng.random() < config.twin_probability:
        twinned, kept = paste_twin(image, target, rng)
        if kept.any():  # a copy that hid the whole object would leave nothing to follow
            image, target = twinned, kept
    box = mask_box(target)
    if rng.random() < config.lost_probability:
        # A lost tracker: the box lands elsewhere; the target is whatever of the object is there.
        height, width = target.shape
        side = box[2:] - box[:2]
        corner = rng.uniform([0, 0], np.maximum([width - side[0], height - side[1]], 1))
        box = np.concatenate([corner, corner + side])
    return cut_around(image, previous, target, box, rng, roi, config)


def cut_refound(
    image: np.ndarray,
    seen: np.ndarray,
    target: np.ndarray,
    rng: np.random.Generator,
    roi: RoiConfig,
) -> Pair:
    """The sample of a lost object searched for as inference searches (propagators/
    roi_tracker.py): `seen`, its mask when last seen, is the previous mask, and the ROI is the
    search region around it after one or more lost frames."""
    growth = rng.uniform(1 + LOST_GROWTH, roi.lost_max_growth)
    region = search_region(mask_box(seen), growth, roi, target.shape)
    return cut_at(image, seen.astype(np.uint8), target, region, rng, roi)


def cut_around(
    image: np.ndarray,
    previous: np.ndarray,
    target: np.ndarray,
    box: np.ndarray,
    rng: np.random.Generator,
    roi: RoiConfig,
    config: PairConfig,
) -> Pair:
    """Image, previous mask and target cut at `box` as a tracker would miss it, then jointly
    augmented."""
    size = box[2:] - box[:2]
    shift = rng.uniform(-config.box_jitter, config.box_jitter, 2) * size
    scale = np.exp(rng.uniform(-config.box_jitter, config.box_jitter))
    center = (box[:2] + box[2:]) / 2 + shift
    jittered = np.concatenate([center - size * scale / 2, center + size * scale / 2])
    return cut_at(image, previous, target, expand_box(jittered, roi), rng, roi)


def cut_at(
    image: np.ndarray,
    previous: np.ndarray,
    target: np.ndarray,
    region: np.ndarray,
    rng: np.random.Generator,
    roi: RoiConfig,
) -> Pair:
    """Image, previous mask and target cropped to the square `region`, jointly augmented."""
    augment = JointAugment.draw(rng, (roi.size, roi.size), rotation=8, scale=0.1)
    return (
        augment.image(crop_roi(image, region, roi.size)),
        augment.mask(crop_roi(previous, region, roi.size, nearest=True)),
        augment.mask(crop_roi(target, region, roi.size, nearest=True)),
    )


# Beside the annotated frame, a memory remembers up to RECENT_FRAMES propagated frames of the
# object from the last 5-20 frames (propagators/memory.py); samples carry 0..RECENT_REFERENCES of
# them, so the network sees maps built from several frames' keys, as at inference.
RECENT_REFERENCES = 3
RECENT_SPAN = 20


def reference_frames(store: VideoStore, item: Item, rng: np.random.Generator) -> list[int]:
    """Frames a memory of the item's object holds: an annotated one (any frame of its video that
    shows it, near or far from the item's, even the item's own) and 0..RECENT_REFERENCES recent
    ones (frames within RECENT_SPAN of the item's that show it, never the item's own)."""
    v, t, obj = item
    shown = np.asarray(store.showing[(v, obj)])
    frames = [int(shown[rng.integers(len(shown))])]
    near = shown[(np.abs(shown - t) <= RECENT_SPAN) & (shown != t)]
    count = min(int(rng.integers(RECENT_REFERENCES + 1)), len(near))
    frames.extend(int(r) for r in rng.choice(near, count, replace=False))
    return frames


def reference_crops(
    store: VideoStore, item: Item, rng: np.random.Generator, roi: RoiConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(R,S,S,3) images and (R,S,S) masks of the item's object in its `reference_frames`, cut
    as a memory cuts them (`object_crop`)."""
    v, _, obj = item
    crops = [
        object_crop(store.frame(v, r), (store.label_map(v, r) == obj).astype(np.uint8), roi)
        for r in reference_frames(store, item, rng)
    ]
    images, masks = zip(*crops, strict=True)
    return np.stack(images), np.stack(masks)


def sample_memory_batch(
    store: VideoStore,
    rng: np.random.Generator,
    roi: RoiConfig,
    batch: int,
    config: PairConfig,
):
    """(images, previous, targets) stacked (B,S,S[,3]), and per sample its reference images
    (R,S,S,3) and masks (R,S,S) in two lists (R varies)."""
    samples, references, reference_masks = [], [], []
    for _ in range(batch):
        item = draw_item(store, rng, config)
        samples.append(cut_pair(store, item, rng, roi, config))
        images, masks = reference_crops(store, item, rng, roi)
        references.append(images)
        reference_masks.append(masks)
    images, previous, targets = (np.stack(parts) for parts in zip(*samples, strict=True))
    return images, previous, targets, references, reference_masks
