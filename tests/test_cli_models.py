"""``rlver models import-gguf``: every user error is one ``error:`` line and exit code 2 (tiny fake files).

The conversion itself runs on a real model in tests/test_real_model.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import rlver.models.gguf as gguf_import
from rlver.cli.app import app
from rlver.errors import ConfigError

gguf = pytest.importorskip("gguf")
runner = CliRunner()


def fake_gguf(path: Path, architecture: str = "llama", qtype: str = "F32") -> Path:
    """A header-only GGUF file with one 2x32 tensor of type ``qtype`` (raw bytes for quantised types)."""
    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_name("fake")
    kind = gguf.GGMLQuantizationType[qtype]
    if kind == gguf.GGMLQuantizationType.F32:
        writer.add_tensor("token_embd.weight", np.zeros((2, 32), dtype=np.float32))
    else:
        _, type_size = gguf.GGML_QUANT_SIZES[kind]
        writer.add_tensor("token_embd.weight", np.zeros((2, type_size), dtype=np.uint8), raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def import_cli(*args: object):
    return runner.invoke(app, ["models", "import-gguf", *map(str, args)])


def error_line(result) -> str:
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert text.startswith("error: "), text
    return text


def test_a_file_that_is_not_gguf(tmp_path):
    bogus = tmp_path / "model.gguf"
    bogus.write_text("{\"not\": \"gguf\"}")
    line = error_line(import_cli(bogus, "--out", tmp_path / "out"))
    assert "not a GGUF file" in line and str(bogus) in line
    assert not (tmp_path / "out").exists()


def test_a_missing_file(tmp_path):
    assert "no such file" in error_line(import_cli(tmp_path / "absent.gguf", "--out", tmp_path / "out"))


def test_an_unsupported_quantisation_is_named(tmp_path):
    path = fake_gguf(tmp_path / "q81.gguf", qtype="Q8_1")
    line = error_line(import_cli(path, "--out", tmp_path / "out"))
    assert "unsupported quantisation Q8_1 (1 tensors)" in line


def test_an_unsupported_architecture_is_named(tmp_path):
    path = fake_gguf(tmp_path / "arch.gguf", architecture="vapourware")
    line = error_line(import_cli(path, "--out", tmp_path / "out"))
    assert "unsupported architecture 'vapourware'" in line
    assert [p.name for p in tmp_path.iterdir()] == ["arch.gguf"]  # no temp folder left behind


def test_a_non_empty_out_needs_force(tmp_path):
    path = fake_gguf(tmp_path / "m.gguf")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    line = error_line(import_cli(path, "--out", out))
    assert "not empty; pass --force" in line
    assert (out / "keep.txt").read_text() == "mine"
    out_file = tmp_path / "file"
    out_file.write_text("x")
    assert "is not a directory" in error_line(import_cli(path, "--out", out_file))


def test_a_missing_gguf_package_says_how_to_install_it(tmp_path, monkeypatch):
    path = fake_gguf(tmp_path / "m.gguf")
    monkeypatch.setitem(sys.modules, "gguf", None)  # makes `import gguf` raise ImportError
    line = error_line(import_cli(path, "--out", tmp_path / "out"))
    assert "needs the gguf package: pip install 'rlver[gguf]'" in line


def test_header_info_is_read_without_loading_tensors(tmp_path):
    info = gguf_import.read_gguf_info(fake_gguf(tmp_path / "m.gguf", qtype="Q4_1"))
    assert (info.architecture, info.name, info.tensor_types, info.tensors, info.sampling) == (
        "llama", "fake", ("Q4_1",), 1, {}
    )


def test_publish_replaces_an_old_folder_only_when_the_new_one_is_complete(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    new = tmp_path / ".out.123.tmp"
    new.mkdir()
    (new / "model.safetensors").write_text("new")
    gguf_import._publish(new, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # neither the temp nor the old folder left
    assert [p.name for p in out.iterdir()] == ["model.safetensors"]
    assert (out.stat().st_mode & 0o777) == 0o755


def test_the_library_raises_config_errors(tmp_path):
    bogus = tmp_path / "x.gguf"
    bogus.write_bytes(b"GGUX" + bytes(60))
    with pytest.raises(ConfigError, match="not a GGUF file"):
        gguf_import.import_gguf(bogus, tmp_path / "out")
