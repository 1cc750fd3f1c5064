"""The Encoder on audio equals the recipe's extraction of the same utterances (issue 15).

Recipe path: wav.scp -> steps/make_fbank.sh (conf/fbank.conf plus --dither=0, uncompressed)
-> steps/extract_embeddings.sh with a model whose recorded front end is the data dir's
(fbank options from <data>/conf/fbank.conf, sliding CMN 300, as the egs stage writes it).
The model weights are random (fixed seed, non-trivial BatchNorm statistics): what is
compared is the path from audio to network input, which training does not change.
With the recipe's own dither (1.0, seeded per utterance id) the noise differs from the
Encoder's (seeded per input) and only the embeddings' direction is compared, on audio
with long digital silence, where dither matters most.
"""

from __future__ import annotations

import subprocess

import kaldiio
import numpy as np
import pytest
import torch
from inference_helpers import voice, write_model_file, write_wav

from Process_Data.features.frontend import Frontend, data_dir_features
from TrainAndTest.inference import Encoder
from TrainAndTest.inference.encoder import cosine_score

BOUND = 1e-5


def _run(cmd, repo, env):
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _recipe_embeddings(tmp_path, repo, env, waves, conf_text, name, chunk):
    """Write ``waves`` ({utt: samples}) as wav files of a data dir, run make_fbank.sh with
    the option file ``conf_text`` and extract_embeddings.sh with a model whose front end is
    the data dir's; returns ({utt: recipe embedding}, exp dir, {utt: wav path})."""
    data = tmp_path / "data"
    data.mkdir()
    paths = {utt: write_wav(tmp_path / f"{utt}.wav", w) for utt, w in sorted(waves.items())}
    spk2utt = {}
    for utt in paths:
        spk2utt.setdefault(utt.split("-")[0], []).append(utt)
    (data / "wav.scp").write_text("".join(f"{u} {p}\n" for u, p in paths.items()))
    (data / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in paths))
    (data / "spk2utt").write_text("".join(f"{s} {' '.join(us)}\n" for s, us in spk2utt.items()))
    conf = tmp_path / "fbank.conf"
    conf.write_text(conf_text)
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
        env,
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
        env,
    )
    recipe = dict(kaldiio.load_scp(str(out / "xvector.scp")))
    assert sorted(recipe) == sorted(paths)
    return recipe, exp, paths


@pytest.mark.parametrize("name,chunk", [("ecapa_tdnn", -1), ("xvector_tdnn", 150)])
def test_encoder_equals_extract_embeddings(tmp_path, repo, recipe_env, name, chunk):
    waves = {
        f"spk{s}-utt{u}": voice(1.0 + 1.3 * u + 0.4 * s, seed=10 * s + u, f0=110 + 60 * s)
        for s in range(2)
        for u in range(2)
    }
    conf_text = (repo / "conf" / "fbank.conf").read_text() + "--dither=0\n"
    recipe, exp, paths = _recipe_embeddings(
        tmp_path, repo, recipe_env, waves, conf_text, name, chunk
    )
    enc = Encoder.load(exp, chunk_size=chunk)
    for utt, path in paths.items():
        got = enc(path)[0].numpy()
        diff = float(np.abs(got - recipe[utt]).max())
        assert diff <= BOUND, (utt, diff)


def test_digital_silence_matches_dithered_recipe(tmp_path, repo, recipe_env):
    """Long runs of exact zeros, the recipe's own conf/fbank.conf (Kaldi's dither 1.0, seeded
    per utterance id): the Encoder keeps the front end's dither (seeded per input), so the
    noise differs but not its level; with dither off the zero frames' log-mel energies
    are log(FLT_EPSILON) and the cosine drops to 0.95 here (0.19 on real files)."""
    gap = np.zeros(32000, np.float32)  # 2 s of digital silence, then 0.5 s of zero padding
    waves = {
        "spk0-utt0": np.concatenate([voice(1.0, seed=3), gap, voice(0.8, seed=4), gap[:8000]]),
        "spk1-utt0": np.concatenate([gap[:16000], voice(1.2, seed=5, f0=170), gap]),
    }
    conf_text = (repo / "conf" / "fbank.conf").read_text()
    recipe, exp, paths = _recipe_embeddings(
        tmp_path, repo, recipe_env, waves, conf_text, "xvector_tdnn", -1
    )
    cosines = {}
    for dither in (None, 0):  # the model's own (1.0), and off (the Encoder before issue 15)
        enc = Encoder.load(exp, dither=dither)
        cosines[dither] = {
            utt: cosine_score(enc(path)[0], torch.from_numpy(recipe[utt]))
            for utt, path in paths.items()
        }
    print("cosine Encoder vs recipe, by the Encoder's dither:", cosines)
    assert enc.frontend.options.frame.dither == 0.0
    assert Encoder.load(exp).frontend.options.frame.dither == 1.0
    assert min(cosines[None].values()) > 0.99, cosines
    assert min(cosines[0].values()) < 0.99, f"the case no longer needs dither: {cosines}"
