"""A finished checkpoint is durable before it is published: every file and directory fsynced,
then the rename, then the parent directory."""

import durable
from training.ml.checkpoints import staged_output


def test_staged_output_fsyncs_every_file_before_the_rename_and_the_parent_after(tmp_path, monkeypatch):
    events = []
    monkeypatch.setattr(durable, "fsync_path", lambda path: events.append(("fsync", path)))
    rename = durable.Path.rename
    monkeypatch.setattr(durable.Path, "rename", lambda self, target: (events.append(("rename", target)), rename(self, target))[1])
    output_dir = tmp_path / "run"
    with staged_output(output_dir) as staging:
        (staging / "model.safetensors").write_bytes(b"weights")
        (staging / "sub").mkdir()
        (staging / "sub" / "tokenizer.json").write_text("{}")
    names = [(kind, path.name) for kind, path in events]
    assert names.index(("rename", "run")) > max(names.index(("fsync", n)) for n in ("model.safetensors", "tokenizer.json", "sub"))
    assert names[-1] == ("fsync", tmp_path.name)  # the rename itself made durable
    assert (output_dir / "sub" / "tokenizer.json").exists()
