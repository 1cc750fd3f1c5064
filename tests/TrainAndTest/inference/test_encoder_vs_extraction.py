"""The Encoder on audio equals the recipe's extraction of the same utterances (issue 15).

Recipe path: wav.scp -> steps/make_fbank.sh (conf/fbank.conf plus --dither=0, uncompressed)
-> steps/extract_embeddings.sh with a model whose recorded front end is the data dir's
(fbank options from <data>/conf/fbank.conf, sliding CMN 300, as the egs stage writes it).
The model weights are random (fixed seed, non-trivial BatchNorm statistics): what is
compared is the path from audio to network input, which training does not change.
"""

from __future__ import annotations

import subprocess

import kaldiio
import numpy as np
import pytest
from inference_helpers import voice, write_model_file, write_wav

from Process_Data.features.frontend import Frontend, data_dir_features
from TrainAndTest.inference import Encoder

BOUND = 1e-5


def _run(cmd, repo, env):
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize("name,chunk", [("ecapa_tdnn", -1), ("xvector_tdnn", 150)])
def test_encoder_equals_extract_embeddings(tmp_path, repo, recipe_env, name, chunk):
    data = tmp_path / "data"
    data.mkdir()
    wav_scp, utt2spk = [], []
    for s in range(2):
        for u in range(2):
            utt = f"spk{s}-utt{u}"
            path = write_wav(
                tmp_path / f"{utt}.wav",
                voice(1.0 + 1.3 * u + 0.4 * s, seed=10 * s + u, f0=110 + 60 * s),
            )
            wav_scp.append(f"{utt} {path}\n")
            utt2spk.append(f"{utt} spk{s}\n")
    (data / "wav.scp").write_text("".join(wav_scp))
    (data / "utt2spk").write_text("".join(utt2spk))
    (data / "spk2utt").write_text("spk0 spk0-utt0 spk0-utt1\nspk1 spk1-utt0 spk1-utt1\n")
    conf = tmp_path / "fbank.conf"
    conf.write_text((repo / "conf" / "fbank.conf").read_text() + "--dither=0\n")
    _run(
        [
            "steps/make_fbank.sh",
            "--nj",
            "1",
            "--compress",
            "false",
            "--fbank-config",
            str(conf),
            str(data),
            str(tmp_path / "log"),
            str(tmp_path / "fbank"),
        ],
        repo,
        recipe_env,
    )
    feature, args = data_dir_features(data)
    frontend = Frontend(feature, tuple(args), cmn="sliding", cmn_window=300)
    exp = tmp_path / "exp"
    write_model_file(exp, name, frontend)
    out = tmp_path / "xvectors"
    _run(
        [
            "steps/extract_embeddings.sh",
            "--nj",
            "1",
            "--chunk-size",
            str(chunk),
            str(exp),
            str(data),
            str(out),
        ],
        repo,
        recipe_env,
    )
    recipe = dict(kaldiio.load_scp(str(out / "xvector.scp")))
    assert len(recipe) == 4
    enc = Encoder.load(exp, chunk_size=chunk)
    for line in wav_scp:
        utt, path = line.split()
        got = enc(path)[0].numpy()
        diff = float(np.abs(got - recipe[utt]).max())
        assert diff <= BOUND, (utt, diff)
