"""The t-SNE entry point needs only embeddings and utt2spk (no trials, no scores)."""

import numpy as np

from TrainAndTest.bin import plot_tsne


def _embeddings(tmp_path, prefix="spk"):
    rng = np.random.default_rng(0)
    ids = [f"{prefix}{s}-u{u}" for s in range(4) for u in range(5)]
    emb = rng.normal(size=(4, 8))[np.repeat(np.arange(4), 5)] * 3 + rng.normal(size=(20, 8))
    np.savez(tmp_path / "emb.npz", ids=np.array(ids), embeddings=emb)
    (tmp_path / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in ids))
    return tmp_path / "emb.npz", tmp_path / "utt2spk"


def test_writes_png_from_embeddings_and_utt2spk(tmp_path, capsys):
    emb, utt2spk = _embeddings(tmp_path)
    png = tmp_path / "out" / "tsne.png"
    assert plot_tsne.main([str(emb), str(utt2spk), str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "20 embeddings of 4 speakers" in capsys.readouterr().err


def test_ids_not_in_utt2spk_is_an_error_naming_both_files(tmp_path, capsys):
    emb, _ = _embeddings(tmp_path)
    other = tmp_path / "other_utt2spk"
    other.write_text("x-1 x\n")
    assert plot_tsne.main([str(emb), str(other), str(tmp_path / "t.png")]) == 1
    err = capsys.readouterr().err
    assert "emb.npz" in err and "other_utt2spk" in err
    assert not (tmp_path / "t.png").exists()
