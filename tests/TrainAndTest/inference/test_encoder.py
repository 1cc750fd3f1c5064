"""Encoder API: inputs, labels, batches, bad inputs (issue 15, items 1, 2 and 6)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from inference_helpers import FRONTEND, TINY, bad_inputs, build, voice, write_model_file, write_wav

from Process_Data.audio import resample
from TrainAndTest.inference import BatchError, Encoder, EncoderError, InputError
from TrainAndTest.inference.encoder import label_vectors

MODELS_UNDER_TEST = sorted(TINY)


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    exp = tmp_path_factory.mktemp("exp")
    write_model_file(exp, "xvector_tdnn")
    return Encoder.load(exp)


def test_load_exp_dir_and_model_file_agree(tmp_path, encoder):
    exp = tmp_path / "exp"
    write_model_file(exp, "xvector_tdnn")
    wav = write_wav(tmp_path / "a.wav", voice(1.0))
    a = Encoder.load(exp)(wav)
    b = Encoder.load(exp / "final.pt")(str(wav))
    assert a.shape == (1, 24) and torch.equal(a, b)
    assert not torch.is_grad_enabled() or a.grad_fn is None


def test_load_errors_name_the_path(tmp_path):
    with pytest.raises(EncoderError, match=f"no model at {tmp_path}/final.pt"):
        Encoder.load(tmp_path)
    junk = tmp_path / "junk.pt"
    junk.write_text("not a model")
    with pytest.raises(EncoderError, match="junk.pt: not a model file"):
        Encoder.load(junk)


def test_path_equals_waveform_and_front_end(tmp_path, encoder):
    wave = voice(1.5, seed=1)
    wav = write_wav(tmp_path / "a.wav", wave)
    from_file = encoder(wav)
    # the file holds 16-bit samples: compare with the same quantised waveform
    q = np.round(wave * 32767) / 32768
    from_tensor = encoder(torch.from_numpy(q.astype(np.float32)), 16000)
    torch.testing.assert_close(from_file, from_tensor, atol=1e-5, rtol=0)
    feats = encoder.frontend.from_audio(q, 16000)
    direct = encoder.model(torch.from_numpy(feats)[None]).detach()
    torch.testing.assert_close(from_file, direct, atol=1e-5, rtol=0)


def test_unequal_batch_equals_single_calls(encoder):
    waves = [voice(s, seed=i) for i, s in enumerate((0.6, 1.3, 2.0))]
    padded = np.zeros((3, len(waves[-1])), np.float32)
    for i, w in enumerate(waves):
        padded[i, : len(w)] = w
    batch = encoder(torch.from_numpy(padded), 16000, lengths=[len(w) for w in waves])
    singles = torch.cat([encoder(torch.from_numpy(w), 16000) for w in waves])
    torch.testing.assert_close(batch, singles, atol=0, rtol=0)
    # without lengths the padding is part of the signal: a different embedding
    assert not torch.allclose(encoder(torch.from_numpy(padded[:1]), 16000), singles[:1])


def test_dithered_embeddings_are_deterministic(encoder):
    """The front end's dither (1.0) is on, yet the same audio gives the same embedding:
    twice, and as item 0 or item 2 of a batch (the noise is seeded per input)."""
    assert encoder.frontend.options.frame.dither == 1.0
    wave = voice(1.5, seed=11)
    wave[4000:20000] = 0  # digital silence, where dither shows
    x = torch.from_numpy(wave)
    once, twice = encoder(x, 16000), encoder(x, 16000)
    batch = encoder(torch.from_numpy(np.stack([wave, voice(1.5, seed=12, f0=180), wave])), 16000)
    assert torch.equal(once, twice)
    assert torch.equal(batch[0], once[0]) and torch.equal(batch[2], once[0])
    off = Encoder(encoder.model, FRONTEND, dither=0)(x, 16000)
    assert not torch.allclose(off, once, atol=1e-3)  # the dither does act


def test_other_rates_and_channels(encoder):
    w16 = voice(2.0, seed=7)
    ref = encoder(torch.from_numpy(w16), 16000)
    w8 = resample(w16, 16000, 8000)
    # an 8 kHz input is resampled to 16 kHz: same embedding as resampling by hand
    by_hand = encoder(torch.from_numpy(resample(w8, 8000, 16000)), 16000)
    torch.testing.assert_close(encoder(torch.from_numpy(w8), 8000), by_hand, atol=1e-6, rtol=0)
    # [batch, channels, samples] is down-mixed by the mean of the channels
    stereo = torch.from_numpy(np.stack([w16 * 1.5, w16 * 0.5]))[None]
    torch.testing.assert_close(encoder(stereo, 16000), ref, atol=1e-5, rtol=0)
    with pytest.raises(EncoderError, match="needs sample_rate"):
        encoder(torch.from_numpy(w16))


def test_chunked_long_input_is_length_weighted_mean(encoder):
    wave = voice(6.0, seed=8)
    feats = encoder.frontend.from_audio(wave, 16000)
    chunked = Encoder(encoder.model, FRONTEND, chunk_size=200, min_chunk_size=25)
    got = chunked(torch.from_numpy(wave), 16000)[0]
    pieces = [(0, 200), (200, 400), (400, len(feats))]
    want = sum(
        encoder.model(torch.from_numpy(feats[a:b])[None]).detach()[0] * (b - a) for a, b in pieces
    ) / len(feats)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
    assert not torch.allclose(got, encoder(torch.from_numpy(wave), 16000)[0], atol=1e-4)


def test_bf16_autocast_on_cpu_is_close(encoder):
    wave = torch.from_numpy(voice(2.0, seed=9))
    half = Encoder(encoder.model, FRONTEND, dtype=torch.bfloat16)(wave, 16000)
    full = encoder(wave, 16000)
    assert half.dtype == torch.float32
    cos = torch.nn.functional.cosine_similarity(half, full).item()
    assert 0.99 < cos < 1.0 + 1e-6


@pytest.mark.parametrize("name", MODELS_UNDER_TEST + ["ecapa2"])
def test_labels_documented_dims_and_order_independence(name):
    if name == "ecapa2":
        torch.manual_seed(0)
        from TrainAndTest.models import MODELS

        model = MODELS.build("ecapa2", feat_dim=40, embed_dim=16).eval()
    else:
        model = build(name)
    enc = Encoder(model, FRONTEND)
    labels = enc.labels
    assert list(labels)[-2:] == ["pool", "embedding"] and "frame_pool" in labels
    wave = torch.from_numpy(voice(1.0, seed=2))[None]
    feats = enc.frontend.from_audio(wave[0].numpy(), 16000)  # seeded dither, as the Encoder
    out = model.forward_features(torch.from_numpy(feats)[None])
    vecs = label_vectors(out)
    # network order: the order forward_features produces them
    assert list(labels) == [
        k if k != "frame_features" else "frame_pool"
        for k in out
        if out[k].dim() == 2 or k == "frame_features"
    ]
    assert {k: v.shape[1] for k, v in vecs.items()} == labels
    # frame_pool is the mean and std over time of the frame-level output
    frames = out["frame_features"]
    assert labels["frame_pool"] == 2 * frames.shape[1]
    names = list(labels)
    every = enc(wave, 16000, label="|".join(reversed(names)))
    assert every.shape == (1, sum(labels.values()))
    # asked in any order, returned in network order
    want = torch.cat([vecs[n].detach() for n in names], dim=1)
    torch.testing.assert_close(every, want, atol=1e-5, rtol=0)
    two = enc(wave, 16000, label=f"embedding|{names[0]}")
    torch.testing.assert_close(two, enc(wave, 16000, label=f"{names[0]}|embedding"))
    torch.testing.assert_close(two[:, labels[names[0]] :], enc(wave, 16000))
    with pytest.raises(EncoderError, match=f"unknown label 'gfe9'; valid labels: {names[0]}, "):
        enc(wave, 16000, label="embedding|gfe9")


def test_bad_inputs_each_give_an_embedding_or_one_named_error(tmp_path, encoder):
    bad = bad_inputs(tmp_path)
    # good outcomes: resampled or down-mixed, finite embeddings
    for key in ("stereo", "8k", "44k"):
        emb = encoder(bad[key])
        assert emb.shape == (1, 24) and torch.isfinite(emb).all(), key
    # the stereo file is the mean of its channels (0.75 of the voice)
    mono = write_wav(tmp_path / "mono.wav", 0.75 * voice(2.0, seed=3))
    torch.testing.assert_close(encoder(bad["stereo"]), encoder(mono), atol=2e-3, rtol=0)
    expected = {
        "zeros": "all samples are zero",
        "short": r"too short \(0.100 s\); the minimum is 0.25 s",
        "empty": r"empty file \(0 bytes\)",
        "not_audio": "not a readable audio file",
        "missing": "no such file",
    }
    for key, message in expected.items():
        with pytest.raises(InputError, match=message) as err:
            encoder(bad[key])
        assert str(err.value).startswith(str(bad[key])), key


def test_short_input_padded_when_minimum_lowered(tmp_path, encoder):
    lenient = Encoder(encoder.model, FRONTEND, min_duration=0.05)
    emb = lenient(write_wav(tmp_path / "s.wav", voice(0.1, seed=6)))  # 10 frames < 15
    assert emb.shape == (1, 24) and torch.isfinite(emb).all()


def test_batch_keeps_good_items_and_names_bad_ones(tmp_path, encoder):
    bad = bad_inputs(tmp_path)
    good = write_wav(tmp_path / "good.wav", voice(1.0, seed=11))
    items = [good, bad["missing"], bad["stereo"], bad["empty"], bad["zeros"]]
    res = encoder.encode_many(items)
    assert sorted(res.errors) == [1, 3, 4]
    assert res.errors[1].startswith(str(bad["missing"]))
    torch.testing.assert_close(res.embeddings[0], encoder(good)[0])
    torch.testing.assert_close(res.embeddings[2], encoder(bad["stereo"])[0])
    with pytest.raises(BatchError, match="3 of 5 inputs failed") as err:
        encoder(items)
    assert err.value.result.embeddings[0] is not None
    # tensor batches too: a silent row fails alone
    rows = torch.from_numpy(np.stack([voice(1.0, seed=1), np.zeros(16000, np.float32)]))
    res = encoder.encode_many(rows, 16000)
    assert res.errors == {
        1: "batch item 1: all samples are zero (digital silence): no speaker to embed"
    }
    assert res.embeddings[0] is not None
