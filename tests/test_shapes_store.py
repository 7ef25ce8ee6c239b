"""The on-disk store of rendered ShapesWorld sets: same arrays as a fresh render, keyed on what
changes them, and never trusted when its content does not match its checksum."""

from __future__ import annotations

import numpy as np
import pytest

from clip_course.data import shapes, shapes_store


@pytest.fixture()
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CLIP_COURSE_CACHE", str(tmp_path))
    shapes._generate.cache_clear()
    yield tmp_path / "shapes"
    shapes._generate.cache_clear()


def test_a_stored_set_is_the_rendered_set(store):
    first = shapes.load_shapes_dataset("shapes10", "test", n=40, seed=3)
    assert len(list(store.glob("*.npz"))) == 1
    shapes._generate.cache_clear()
    again = shapes.load_shapes_dataset("shapes10", "test", n=40, seed=3)  # read from the store
    fresh_images, fresh_labels = shapes._render("shapes10", "test", 40, 3, 32)  # drawn, no store involved
    assert np.array_equal(again.images, fresh_images) and np.array_equal(again.labels, fresh_labels)
    assert again.fingerprint == first.fingerprint


def test_the_key_holds_every_argument_and_the_code(store, monkeypatch):
    base = shapes_store.cache_key("shapes10", "test", 40, 3, 32)
    paths = {shapes_store.cache_path(base)}
    for change in ({"split": "train"}, {"n": 41}, {"seed": 4}, {"image_size": 64}, {"dataset": "shapes100"}):
        paths.add(shapes_store.cache_path({**base, **change}))
    shapes_store._code_digest.cache_clear()
    monkeypatch.setattr(shapes_store, "_SOURCES", store)  # no shapes*.py there: another code digest
    paths.add(shapes_store.cache_path(shapes_store.cache_key("shapes10", "test", 40, 3, 32)))
    shapes_store._code_digest.cache_clear()
    assert len(paths) == 7


def test_a_damaged_file_is_deleted_and_the_set_rendered_again(store):
    shapes.load_shapes_dataset("shapes10", "test", n=40, seed=3)
    (path,) = store.glob("*.npz")
    key = shapes_store.cache_key("shapes10", "test", 40, 3, 32)
    images, labels = shapes._render("shapes10", "test", 40, 3, 32)
    with np.load(path) as blob:
        parts = dict(blob)
    parts["images"] = parts["images"].copy()
    parts["images"][0, 0, 0, 0] ^= 1  # one bit, same shape and dtype: only the checksum can tell
    np.savez(path, **parts)
    with pytest.warns(UserWarning, match="do not match their checksum"):
        assert shapes_store.read(key) is None
    assert not path.exists()
    path.write_bytes(b"not an npz")
    with pytest.warns(UserWarning, match="could not be read"):
        assert shapes_store.read(key) is None
    shapes._generate.cache_clear()
    again = shapes.load_shapes_dataset("shapes10", "test", n=40, seed=3)
    assert np.array_equal(again.images, images) and np.array_equal(again.labels, labels)


def test_an_unwritable_cache_only_costs_a_render(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("CLIP_COURSE_CACHE", str(blocker))
    shapes._generate.cache_clear()
    with pytest.warns(UserWarning, match="not written"):
        ds = shapes.load_shapes_dataset("shapes10", "test", n=20, seed=5)
    shapes._generate.cache_clear()
    assert np.array_equal(ds.images, shapes._render("shapes10", "test", 20, 5, 32)[0])
