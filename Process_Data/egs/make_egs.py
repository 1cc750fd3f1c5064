"""Training examples (egs): shuffled, class-balanced random-length chunks of a data dir's features.

Two steps, so that the writing runs as a job array (``steps/make_egs.sh``):

1. ``plan_egs(data_dir, egs_dir, opts)`` (one process, no feature matrix is read unless there
   is no ``utt2num_frames``): checks the inputs, drops utterances shorter than ``min_len``
   frames (after VAD), holds out ``num_valid_utts`` utterances of training speakers as the
   validation set, draws the chunks and writes ``egs_dir/temp/ranges.<J>`` (one per archive),
   ``valid.ranges``, ``train_diagnostic.ranges``, ``spk2int`` and ``info/``.
2. ``write_archive(data_dir, ranges, out_prefix, opts)`` (job ``J``): reads each needed
   utterance once, prepares it with the egs' front end (``egs_frontend``: VAD selection with
   ``vad.scp``, sliding CMN with ``cmn_window`` > 0), cuts the chunks and writes
   ``egs.<J>.ark/.scp/.labels`` (``compress``: Kaldi's compressed matrices) or ``egs.<J>.h5``.

The front end (the data dir's feature type and Kaldi options from ``conf/<type>.conf``, plus
VAD and CMN) is written once to ``info/frontend.yaml``; the trainer copies it into the model.

Chunks: per repeat every speaker gets the same number of chunks (class balance), the average
of ``voiced_frames(speaker) / mean_chunk`` over speakers; a chunk draws its length uniformly
in ``[min_frames, max_frames]``, an utterance of its speaker with probability proportional to
the utterance's length, and a start uniformly (a chunk longer than its utterance is the whole
utterance). All chunks are shuffled globally, and chunk ``i`` of the shuffle goes to archive
``i mod num_archives``. Every random draw comes from ``seed``: same seed, same bytes.

Key of a chunk: ``<utt>-<start>-<length>`` (frames after VAD); its label is the speaker's
index in ``spk2int`` (speakers in C order).

Layout of ``egs_dir``::

    egs.1.ark egs.1.scp egs.1.labels ...   (or egs.1.h5 ...)
    valid_egs.* train_diagnostic.*         (same format)
    spk2int  info/{num_speakers,feat_dim,num_egs,frames_per_eg,num_archives,format,
                   options,frontend.yaml}
    temp/ranges.<J>  (key utt start length label)

HDF5 files hold ``feats`` (all chunks' rows concatenated, float32; float16 with
``compress``), ``offsets`` (``num_egs + 1`` row offsets), ``labels`` and ``keys``.

Example:
    >>> opts = EgsOptions(min_frames=200, max_frames=400, num_repeats=2)
    >>> opts.mean_chunk
    300.0
"""

from __future__ import annotations

import os
from collections import OrderedDict, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from Process_Data.data_dir import DataDirError, atomic_write, kaldi_sort_key, read_kv

FORMATS = ("ark", "h5")


class EgsError(ValueError):
    """Bad egs options or inputs; the message names the option or file (and line)."""


@dataclass
class EgsOptions:
    """Options of ``make_egs`` (Kaldi-style names on the command line with hyphens).

    Attributes:
        min_len: drop utterances with fewer (voiced) frames.
        min_frames, max_frames: chunk length range (frames).
        num_repeats: how many times the data is covered (chunks per speaker scale with it).
        num_archives: archives to write (0: from ``egs_per_archive``).
        egs_per_archive: target chunks per archive when ``num_archives`` is 0.
        num_valid_utts: utterances held out for validation (at most one per speaker, only
            from speakers keeping at least one training utterance).
        valid_chunks_per_utt: chunks per held-out utterance.
        num_diagnostic_egs: training chunks copied into ``train_diagnostic``.
        cmn_window: sliding CMN window in frames (0: off).
        use_vad: drop unvoiced frames using ``vad.scp`` (required when true).
        format: ``ark`` or ``h5``.
        compress: Kaldi compressed matrices (ark) / float16 (h5).
        seed: random seed.
        spk2int: a speaker -> class table to label with (another egs dir's ``spk2int``:
            fine-tuning egs whose labels must be the classes of the model they continue);
            every speaker of the data must be in it, and ``info/num_speakers`` is its size.
            Empty: the data's speakers in C order.
    """

    min_len: int = 200
    min_frames: int = 200
    max_frames: int = 400
    num_repeats: int = 1
    num_archives: int = 0
    egs_per_archive: int = 20000
    num_valid_utts: int = 100
    valid_chunks_per_utt: int = 1
    num_diagnostic_egs: int = 1000
    cmn_window: int = 0
    use_vad: bool = True
    format: str = "ark"
    compress: bool = False
    seed: int = 0
    spk2int: str = ""

    def check(self) -> EgsOptions:
        """Raise EgsError naming the option for an inconsistent setting; return self."""
        for name in ("min_frames", "max_frames", "num_repeats", "egs_per_archive"):
            if getattr(self, name) < 1:
                raise EgsError(f"--{name.replace('_', '-')}: must be >= 1, got {getattr(self, name)}")
        for name in ("min_len", "num_archives", "num_valid_utts", "num_diagnostic_egs",
                     "cmn_window", "valid_chunks_per_utt"):
            if getattr(self, name) < 0:
                raise EgsError(f"--{name.replace('_', '-')}: must be >= 0, got {getattr(self, name)}")
        if self.min_frames > self.max_frames:
            raise EgsError(f"--min-frames {self.min_frames} > --max-frames {self.max_frames}")
        if self.format not in FORMATS:
            raise EgsError(f"--format: '{self.format}' is not one of {', '.join(FORMATS)}")
        return self

    @property
    def mean_chunk(self) -> float:
        """Mean chunk length (frames)."""
        return (self.min_frames + self.max_frames) / 2.0


def _frames_of(data_dir: Path, opts: EgsOptions, utts: List[str]) -> Dict[str, int]:
    """Frames per utterance after VAD (utt2num_frames or the matrices when there is no VAD)."""
    import kaldiio

    if opts.use_vad:
        vad = read_kv(data_dir / "vad.scp")
        out = {}
        for u in utts:
            try:
                out[u] = int((np.asarray(kaldiio.load_mat(vad[u])) > 0.5).sum())
            except Exception as e:
                raise EgsError(f"{data_dir}/vad.scp: cannot read '{u}': {e}") from None
        return out
    if (data_dir / "utt2num_frames").is_file():
        table = read_kv(data_dir / "utt2num_frames")
        try:
            return {u: int(table[u]) for u in utts}
        except (KeyError, ValueError):
            raise EgsError(f"{data_dir}/utt2num_frames: missing or bad entries; rerun the feature step") from None
    feats = read_kv(data_dir / "feats.scp")
    return {u: int(kaldiio.load_mat(feats[u]).shape[0]) for u in utts}


def check_inputs(data_dir, opts: EgsOptions) -> Tuple[OrderedDict, Dict[str, str]]:
    """Validate the data dir for egs; return ``(utt2spk, feats.scp table)``.

    Raises:
        EgsError / DataDirError: naming the file (and line) at fault.
    """
    from Process_Data.data_dir import validate_data_dir

    data_dir = Path(data_dir)
    opts.check()
    dd = validate_data_dir(data_dir, no_feats=False, no_wav=True, check_audio=False)
    if opts.use_vad and "vad.scp" not in dd.tables:
        raise EgsError(f"{data_dir}/vad.scp: missing (compute VAD or pass --use-vad false)")
    return dd.utt2spk, dd.tables["feats.scp"]


def _draw_chunks(
    spk_utts: Dict[str, List[Tuple[str, int]]],
    spk2int: Dict[str, int],
    per_spk: int,
    opts: EgsOptions,
    rng: np.random.Generator,
    seen: set,
) -> List[Tuple[str, str, int, int, int]]:
    out = []
    for spk in sorted(spk_utts, key=kaldi_sort_key):
        utts = spk_utts[spk]
        lens = np.array([n for _, n in utts], dtype=np.float64)
        p = lens / lens.sum()
        made, redraws = 0, 0
        while made < per_spk:
            length = int(rng.integers(opts.min_frames, opts.max_frames + 1))
            u, n = utts[int(rng.choice(len(utts), p=p))]
            length = min(length, n)
            start = int(rng.integers(0, n - length + 1))
            key = f"{u}-{start}-{length}"
            if key in seen:
                redraws += 1
                if redraws <= 20:
                    continue  # keys are unique: draw again
                key = f"{key}-dup{len(seen)}"  # a tiny speaker has no other chunk left
            seen.add(key)
            out.append((key, u, start, length, spk2int[spk]))
            made += 1
    return out


def _write_ranges(path: Path, chunks) -> None:
    with atomic_write(path) as f:
        for key, u, start, length, label in chunks:
            f.write(f"{key} {u} {start} {length} {label}\n")


def read_ranges(path) -> List[Tuple[str, str, int, int, int]]:
    """Read a ranges file ``key utt start length label`` (errors name file:line)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            try:
                key, u, s, n, lab = parts
                out.append((key, u, int(s), int(n), int(lab)))
            except ValueError:
                raise EgsError(f"{path}:{lineno}: expected 'key utt start length label'") from None
    return out


def _read_spk2int(path) -> Dict[str, int]:
    """``spk index`` lines; indices must be 0..n-1, each once (errors name file and line)."""
    table: Dict[str, int] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise EgsError(f"--spk2int: cannot read {path}: {e}") from None
    for lineno, line in enumerate(lines, 1):
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit() or parts[0] in table:
            raise EgsError(f"{path}:{lineno}: expected a new 'speaker index' pair, got '{line}'")
        table[parts[0]] = int(parts[1])
    if sorted(table.values()) != list(range(len(table))):
        raise EgsError(f"{path}: the indices are not 0..{len(table) - 1}, each once")
    return table


def plan_egs(data_dir, egs_dir, opts: EgsOptions) -> Dict[str, int]:
    """Check inputs, draw every chunk and write the ranges, ``spk2int`` and ``info/``.

    Returns:
        ``{"num_speakers", "num_archives", "num_egs", "num_valid_egs", "num_diagnostic_egs",
        "num_utts_used", "num_utts_too_short"}``.
    """
    data_dir, egs_dir = Path(data_dir), Path(egs_dir)
    utt2spk, _ = check_inputs(data_dir, opts)
    utts = list(utt2spk)
    frames = _frames_of(data_dir, opts, utts)
    keep = [u for u in utts if frames[u] >= max(opts.min_len, 1)]
    if not keep:
        raise EgsError(f"{data_dir}: no utterance has >= {opts.min_len} frames (--min-len)")
    rng = np.random.default_rng(opts.seed)
    by_spk: Dict[str, List[str]] = defaultdict(list)
    for u in keep:
        by_spk[utt2spk[u]].append(u)
    speakers = sorted(by_spk, key=kaldi_sort_key)
    spk2int = {s: i for i, s in enumerate(speakers)}
    if opts.spk2int:
        spk2int = _read_spk2int(opts.spk2int)
        unknown = [s for s in speakers if s not in spk2int]
        if unknown:
            raise EgsError(f"{opts.spk2int}: no class for {len(unknown)} speakers of "
                           f"{data_dir} (e.g. '{unknown[0]}'); --spk2int must cover the data")
    # validation: one utterance from each of some speakers that keep a training utterance
    candidates = [s for s in speakers if len(by_spk[s]) >= 2]
    order = rng.permutation(len(candidates))
    valid_utts = set()
    for i in order[: opts.num_valid_utts]:
        spk = candidates[int(i)]
        valid_utts.add(by_spk[spk][int(rng.integers(len(by_spk[spk])))])
    spk_utts = {
        s: [(u, frames[u]) for u in by_spk[s] if u not in valid_utts] for s in speakers
    }
    total = sum(n for s in speakers for _, n in spk_utts[s])
    per_spk = max(1, int(round(total / opts.mean_chunk / len(speakers))))
    seen: set = set()
    chunks = []
    for _ in range(opts.num_repeats):
        chunks += _draw_chunks(spk_utts, spk2int, per_spk, opts, rng, seen)
    chunks = [chunks[int(i)] for i in rng.permutation(len(chunks))]
    n_arch = opts.num_archives or max(1, int(np.ceil(len(chunks) / opts.egs_per_archive)))
    n_arch = min(n_arch, len(chunks))
    valid_spk_utts = defaultdict(list)
    for u in sorted(valid_utts, key=kaldi_sort_key):
        valid_spk_utts[utt2spk[u]].append((u, frames[u]))
    valid_chunks = []
    for spk, us in sorted(valid_spk_utts.items()):
        sub = {spk: us}
        valid_chunks += _draw_chunks(sub, spk2int, opts.valid_chunks_per_utt * len(us), opts, rng, seen)
    n_diag = min(opts.num_diagnostic_egs, len(chunks))
    diag = [chunks[int(i)] for i in sorted(rng.choice(len(chunks), size=n_diag, replace=False))]

    temp = egs_dir / "temp"
    temp.mkdir(parents=True, exist_ok=True)
    for j in range(n_arch):
        _write_ranges(temp / f"ranges.{j + 1}", chunks[j::n_arch])
    _write_ranges(temp / "valid_egs.ranges", valid_chunks)
    _write_ranges(temp / "train_diagnostic.ranges", diag)
    with atomic_write(egs_dir / "spk2int") as f:
        for s in sorted(spk2int, key=spk2int.__getitem__):
            f.write(f"{s} {spk2int[s]}\n")
    lengths = [c[3] for c in chunks]
    import kaldiio

    feat_dim = int(kaldiio.load_mat(read_kv(data_dir / "feats.scp")[keep[0]]).shape[1])
    info = {
        "num_speakers": len(spk2int),
        "feat_dim": feat_dim,
        "num_egs": len(chunks),
        "frames_per_eg": f"{min(lengths)} {max(lengths)}",
        "num_archives": n_arch,
        "format": opts.format,
        "num_valid_egs": len(valid_chunks),
        "num_diagnostic_egs": len(diag),
    }
    for name, value in info.items():
        with atomic_write(egs_dir / "info" / name) as f:
            f.write(f"{value}\n")
    import yaml

    frontend = egs_frontend(data_dir, opts)
    if frontend.dim is not None and frontend.dim != feat_dim:
        raise EgsError(f"{data_dir}/feats.scp: {feat_dim}-dim features, but conf/ describes "
                       f"{frontend.dim}-dim {frontend.feature} (stale feature options?)")
    with atomic_write(egs_dir / "info" / "frontend.yaml") as f:
        yaml.safe_dump(frontend.to_dict(), f, sort_keys=False)
    with atomic_write(egs_dir / "info" / "options") as f:
        for k, v in asdict(opts).items():
            f.write(f"{k} {v}\n")
    return {
        "num_speakers": len(spk2int),
        "num_archives": n_arch,
        "num_egs": len(chunks),
        "num_valid_egs": len(valid_chunks),
        "num_diagnostic_egs": len(diag),
        "num_utts_used": len(keep),
        "num_utts_too_short": len(utts) - len(keep),
    }


def egs_frontend(data_dir, opts: EgsOptions):
    """The front end of the egs: the data dir's feature options (``conf/<type>.conf``) with
    the egs' VAD and CMN (sliding with ``cmn_window`` > 0, else none).

    A data dir without a feature option file (precomputed features of unknown origin) gives
    a front end whose feature is unknown (``feature: ''``): it prepares matrices, but a
    model trained on it cannot embed audio.
    """
    from Process_Data.features.frontend import Frontend, FrontendError, data_dir_features

    cmn = "sliding" if opts.cmn_window > 0 else "none"
    window = opts.cmn_window or 300
    try:
        data_dir_features(data_dir)
    except FrontendError:
        if any(p.name != "vad.conf" for p in (Path(data_dir) / "conf").glob("*.conf")):
            raise
        import sys

        print(f"make_egs: WARNING: {data_dir}/conf has no feature options (steps/make_<type>.sh "
              "writes them): the front end, and so the model, will not know how its features "
              "were made and cannot embed audio", file=sys.stderr)
        return Frontend("", (), opts.use_vad, (), cmn, window)
    return Frontend.from_data_dir(data_dir, opts.use_vad, cmn, window)


def read_frontend(egs_dir):
    """The front end recorded in ``egs_dir/info/frontend.yaml`` (None: older egs without)."""
    import yaml

    from Process_Data.features.frontend import Frontend

    path = Path(egs_dir) / "info" / "frontend.yaml"
    if not path.is_file():
        return None
    return Frontend.from_dict(yaml.safe_load(path.read_text()), where=str(path))


def write_archive(data_dir, ranges, out_prefix, opts: EgsOptions) -> int:
    """Cut the chunks of a ranges file and write them as one archive; return the chunk count.

    Writes ``<out_prefix>.ark``, ``.labels`` then ``.scp`` last (the scp is the commit marker),
    or ``<out_prefix>.h5`` via a temporary name.
    """
    import kaldiio

    data_dir = Path(data_dir)
    chunks = read_ranges(ranges)
    feats_scp = read_kv(data_dir / "feats.scp")
    vad_scp = read_kv(data_dir / "vad.scp") if opts.use_vad else None
    frontend = egs_frontend(data_dir, opts)
    by_utt: Dict[str, List[int]] = defaultdict(list)
    for i, (_, u, _, _, _) in enumerate(chunks):
        by_utt[u].append(i)
    mats: List = [None] * len(chunks)
    from Process_Data.progress import progress

    for u in progress(sorted(by_utt, key=kaldi_sort_key), desc=f"write_archive {Path(ranges).name}",
                      unit="utt"):
        if u not in feats_scp:
            raise EgsError(f"{ranges}: utterance '{u}' is not in {data_dir}/feats.scp")
        vad = kaldiio.load_mat(vad_scp[u]) if vad_scp is not None else None
        x = frontend.prepare_utterance(kaldiio.load_mat(feats_scp[u]), vad, u)
        for i in by_utt[u]:
            key, _, start, length, _ = chunks[i]
            if start + length > len(x):
                raise EgsError(f"{ranges}: chunk '{key}' runs past the end of '{u}' ({len(x)} frames)")
            mats[i] = frontend.finish_chunk(x[start : start + length])
    out_prefix = str(out_prefix)
    if opts.format == "h5":
        _write_h5(out_prefix + ".h5", chunks, mats, opts.compress)
    else:
        _write_ark(out_prefix, chunks, mats, opts.compress)
    return len(chunks)


def _write_ark(prefix: str, chunks, mats, compress: bool) -> None:
    import kaldiio

    scp_tmp = prefix + ".scp.tmp"
    spec = f"ark,scp:{prefix}.ark,{scp_tmp}"
    with kaldiio.WriteHelper(spec, compression_method=2 if compress else None) as w:
        for (key, *_), m in zip(chunks, mats):
            w(key, m)
    with atomic_write(prefix + ".labels") as f:
        for key, _, _, _, label in chunks:
            f.write(f"{key} {label}\n")
    os.replace(scp_tmp, prefix + ".scp")


def _write_h5(path: str, chunks, mats, compress: bool) -> None:
    import h5py

    tmp = path + ".tmp"
    lengths = np.array([len(m) for m in mats], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    dim = mats[0].shape[1] if mats else 0
    with h5py.File(tmp, "w") as f:
        feats = f.create_dataset("feats", (int(offsets[-1]), dim),
                                 dtype=np.float16 if compress else np.float32)
        if mats:
            feats[...] = np.concatenate(mats).astype(feats.dtype)
        f.create_dataset("offsets", data=offsets)
        f.create_dataset("labels", data=np.array([c[4] for c in chunks], dtype=np.int64))
        f.create_dataset("keys", data=np.array([c[0].encode() for c in chunks], dtype="S"))
    os.replace(tmp, path)


def read_info(egs_dir) -> Dict[str, str]:
    """``egs_dir/info/*`` as name -> text (stripped)."""
    info = Path(egs_dir) / "info"
    if not info.is_dir():
        raise EgsError(f"{info}: missing (is {egs_dir} an egs dir?)")
    return {p.name: p.read_text().strip() for p in sorted(info.iterdir()) if p.is_file()}


def make_egs(data_dir, egs_dir, opts: EgsOptions) -> Dict[str, int]:
    """Plan and write every archive in this process (``steps/make_egs.sh`` runs a job array).

    Example:
        >>> make_egs("data/train", "exp/egs", EgsOptions(min_frames=50, max_frames=100))  # doctest: +SKIP
    """
    egs_dir = Path(egs_dir)
    stats = plan_egs(data_dir, egs_dir, opts)
    for j in range(1, stats["num_archives"] + 1):
        write_archive(data_dir, egs_dir / "temp" / f"ranges.{j}", egs_dir / f"egs.{j}", opts)
    for name in ("valid_egs", "train_diagnostic"):
        write_archive(data_dir, egs_dir / "temp" / f"{name}.ranges", egs_dir / name, opts)
    return stats


__all__ = [
    "DataDirError",
    "EgsError",
    "EgsOptions",
    "check_inputs",
    "make_egs",
    "plan_egs",
    "egs_frontend",
    "read_frontend",
    "read_info",
    "read_ranges",
    "write_archive",
]
