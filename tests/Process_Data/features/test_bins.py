"""Entry points: compute_feats, compute_vad, apply_cmvn_sliding, select_voiced_frames."""

from __future__ import annotations

import kaldiio
import numpy as np
import soundfile as sf

from Process_Data.bin import apply_cmvn_sliding, compute_feats, compute_vad, select_voiced_frames
from Process_Data.features import FEATURES, parse_options
from Process_Data.features.cmvn import SlidingCmvnOptions, sliding_cmvn


def test_compute_feats_skips_short_and_matches_library(tmp_path, capsys):
    rng = np.random.default_rng(0)
    long = (0.1 * rng.standard_normal(8000)).astype(np.float32)
    sf.write(tmp_path / "a.wav", long, 16000)
    sf.write(tmp_path / "b.wav", long[:100], 16000)
    sf.write(tmp_path / "c.wav", long[::2], 8000)  # resampled to 16 kHz
    (tmp_path / "wav.scp").write_text(
        "".join(f"s-{k} {tmp_path / k}.wav\n" for k in "abc"))
    out = f"ark,scp:{tmp_path}/f.ark,{tmp_path}/f.scp"
    rc = compute_feats.main(["--feature-type=mfcc", "--dither=0", f"--write-utt2num-frames="
                             f"{tmp_path}/n", str(tmp_path / "wav.scp"), out])
    assert rc == 0
    assert "s-b: 100 samples is shorter than one frame" in capsys.readouterr().err
    feats = kaldiio.load_scp(str(tmp_path / "f.scp"))
    assert sorted(feats) == ["s-a", "s-c"]
    stored, _ = sf.read(tmp_path / "a.wav", dtype="float32")  # 16-bit quantised
    ref = FEATURES.build("mfcc", opts=parse_options("mfcc", ["--dither=0"])).compute(stored)
    np.testing.assert_allclose(feats["s-a"], ref, atol=1e-4)
    assert (tmp_path / "n").read_text() == "s-a 48\ns-c 48\n"


def test_compute_feats_bad_config_names_file_and_line(tmp_path, capsys):
    conf = tmp_path / "x.conf"
    conf.write_text("--num-mel-bins=40\n\n--no-such-option=1\n")
    rc = compute_feats.main([f"--config={conf}", "wav.scp", "ark:x.ark"])
    assert rc == 1 and "x.conf:3: unknown option --no-such-option" in capsys.readouterr().err


def test_vad_cmvn_select_chain(tmp_path):
    feats = {"u1": np.array([[0.0, 1], [10, 2], [10, 3], [0, 4]], np.float32),
             "u2": np.array([[9.0, 1], [9, 1], [0, 1]], np.float32)}
    with kaldiio.WriteHelper(f"ark,scp:{tmp_path}/f.ark,{tmp_path}/f.scp") as w:
        for k, v in feats.items():
            w(k, v)
    assert compute_vad.main(["--vad-energy-threshold=1", "--vad-energy-mean-scale=0",
                             f"scp:{tmp_path}/f.scp",
                             f"ark,scp:{tmp_path}/v.ark,{tmp_path}/v.scp"]) == 0
    vad = kaldiio.load_scp(str(tmp_path / "v.scp"))
    assert vad["u1"].tolist() == [0, 1, 1, 0] and vad["u2"].tolist() == [1, 1, 0]
    assert select_voiced_frames.main([f"scp:{tmp_path}/f.scp", f"scp:{tmp_path}/v.scp",
                                      f"ark,scp:{tmp_path}/s.ark,{tmp_path}/s.scp"]) == 0
    sel = kaldiio.load_scp(str(tmp_path / "s.scp"))
    np.testing.assert_array_equal(sel["u1"], feats["u1"][1:3])
    assert apply_cmvn_sliding.main(["--cmn-window=2", "--min-cmn-window=1", "--center=true",
                                    f"scp:{tmp_path}/f.scp",
                                    f"ark,scp:{tmp_path}/c.ark,{tmp_path}/c.scp"]) == 0
    cmvn = kaldiio.load_scp(str(tmp_path / "c.scp"))
    opts = SlidingCmvnOptions(cmn_window=2, min_cmn_window=1, center=True)
    np.testing.assert_allclose(cmvn["u2"], sliding_cmvn(feats["u2"], opts))
    assert not list(tmp_path.glob("*.tmp*"))  # scp renamed into place
