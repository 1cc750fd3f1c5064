"""A tiny clean data dir of minivox dev utterances, for the augmentation tests."""

from __future__ import annotations

from Process_Data.data_dir import utt2spk_to_spk2utt, write_kv


def make_minivox_dir(shared, out, speakers=("az_01", "rav_01"), per_spk=2):
    """A tiny clean data dir of minivox dev utterances."""
    wav, u2s = {}, {}
    for spk in speakers:
        files = sorted((shared / "minivox" / "wav" / spk).rglob("*.flac"))[:per_spk]
        for f in files:
            utt = f"{spk}-{f.parent.name}-{f.stem}"
            wav[utt], u2s[utt] = str(f), spk
    write_kv(out / "wav.scp", wav)
    write_kv(out / "utt2spk", u2s)
    write_kv(out / "spk2utt", utt2spk_to_spk2utt(u2s))
    return out
