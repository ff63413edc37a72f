"""Atomic writes: the target holds the old or the complete new content; no temp file is left."""

from __future__ import annotations

import os
import re

import pytest

from savedmodel.format import atomic
from savedmodel.format.atomic import atomic_write_bytes, atomic_writer

TEMP_NAME = re.compile(r"saved_model\.pb\.tmp[0-9a-f]{32}")


def test_writes_bytes_and_returns_path(tmp_path):
    target = tmp_path / "saved_model.pb"
    assert atomic_write_bytes(target, b"\x08\x01") == str(target)
    assert target.read_bytes() == b"\x08\x01"
    assert os.listdir(tmp_path) == ["saved_model.pb"]


def test_replaces_existing_file(tmp_path):
    target = tmp_path / "saved_model.pb"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert os.listdir(tmp_path) == ["saved_model.pb"]


def test_temp_file_is_named_like_tensorflows_in_the_same_directory(tmp_path, monkeypatch):
    renames = []
    real_replace = os.replace

    def spy(src, dst):
        renames.append((src, dst))
        assert os.path.exists(src) and not os.path.exists(dst)  # complete before it appears
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    atomic_write_bytes(tmp_path / "saved_model.pb", b"x" * 1000)
    (src, dst), = renames
    assert os.path.dirname(src) == str(tmp_path)
    assert TEMP_NAME.fullmatch(os.path.basename(src))
    assert dst == str(tmp_path / "saved_model.pb")
    assert atomic.temp_path_for(dst) != atomic.temp_path_for(dst)  # fresh random name each time


def test_data_is_fsynced_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(atomic.os, "replace",
                        lambda a, b: (events.append("rename"), real_replace(a, b)))
    atomic_write_bytes(tmp_path / "f.pb", b"data")
    assert events[:2] == ["fsync", "rename"]


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_failure_leaves_old_content_and_no_temp_file(tmp_path, monkeypatch, failing):
    target = tmp_path / "saved_model.pb"
    target.write_bytes(b"old complete model")

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "write":
        with pytest.raises(OSError, match="No space left"), atomic_writer(target) as handle:
            handle.write(b"partial")
            boom()
    else:
        monkeypatch.setattr(atomic.os, failing, boom)
        with pytest.raises(OSError, match="No space left"):
            atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old complete model"
    assert os.listdir(tmp_path) == ["saved_model.pb"]


def test_failure_without_previous_file_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="bad tensor"), \
            atomic_writer(tmp_path / "fingerprint.pb") as handle:
        handle.write(b"half")
        raise ValueError("bad tensor")
    assert os.listdir(tmp_path) == []


def test_interrupt_also_cleans_up(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic_writer(tmp_path / "saved_model.pb") as handle:
        handle.write(b"half")
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_streaming_writer_hides_the_file_until_done(tmp_path):
    target = tmp_path / "variables.data-00000-of-00001"
    chunk = bytes(range(256)) * 64
    with atomic_writer(target) as handle:
        for _ in range(16):
            handle.write(chunk)
            assert not target.exists()  # a reader never sees a partial file
    assert target.read_bytes() == chunk * 16
    assert os.listdir(tmp_path) == [target.name]


def test_missing_directory_raises_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "no" / "saved_model.pb", b"x")
    assert os.listdir(tmp_path) == []
