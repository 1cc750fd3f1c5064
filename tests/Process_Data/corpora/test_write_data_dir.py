"""write_data_dir: a rerun with the same tables leaves the data dir (and its features)
untouched; changed tables replace it whole."""

from __future__ import annotations

from Process_Data.corpora.common import write_data_dir


def _tables(spk="s1"):
    return {"wav.scp": {f"{spk}-a": "/c/a.wav", f"{spk}-b": "/c/b.wav"},
            "utt2spk": {f"{spk}-a": spk, f"{spk}-b": spk}}  # fmt: skip


def _snapshot(d):
    return {str(p.relative_to(d)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in d.rglob("*") if p.is_file()}  # fmt: skip


def test_same_tables_keep_the_dir_and_its_features(tmp_path):
    out = tmp_path / "data" / "train"
    logs = []
    write_data_dir(out, _tables(), {"trials": "s1-a s1-b target\n"}, log=logs.append)
    # what the feature stage adds
    (out / "data").mkdir()
    (out / "data" / "raw_fbank_train.1.ark").write_bytes(b"ark")
    (out / "feats.scp").write_text("s1-a x.ark:1\ns1-b x.ark:9\n")
    before = _snapshot(out)
    write_data_dir(out, _tables(), {"trials": "s1-a s1-b target\n"}, log=logs.append)
    assert _snapshot(out) == before
    assert "unchanged" in logs[-1]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_changed_tables_or_files_replace_the_dir(tmp_path):
    out = tmp_path / "train"
    write_data_dir(out, _tables(), {"trials": "s1-a s1-b target\n"}, log=lambda *_: None)
    (out / "feats.scp").write_text("s1-a x.ark:1\ns1-b x.ark:9\n")
    write_data_dir(out, _tables(), {"trials": "s1-a s1-b nontarget\n"}, log=lambda *_: None)
    assert not (out / "feats.scp").exists()
    assert (out / "trials").read_text() == "s1-a s1-b nontarget\n"
    (out / "feats.scp").write_text("s1-a x.ark:1\ns1-b x.ark:9\n")
    write_data_dir(out, _tables(), log=lambda *_: None)  # a file less (no trials)
    assert not (out / "trials").exists() and not (out / "feats.scp").exists()
    write_data_dir(out, _tables("s2"), log=lambda *_: None)
    assert (out / "utt2spk").read_text() == "s2-a s2\ns2-b s2\n"


def test_a_dir_without_the_prep_listing_is_rewritten_once(tmp_path):
    out = tmp_path / "train"
    write_data_dir(out, _tables(), log=lambda *_: None)
    (out / ".prep_files").unlink()  # written by an older version
    (out / "feats.scp").write_text("s1-a x.ark:1\ns1-b x.ark:9\n")
    write_data_dir(out, _tables(), log=lambda *_: None)
    assert not (out / "feats.scp").exists() and (out / ".prep_files").is_file()
