"""One analysis run over a data dir: the target of each utterance, the methods, the maps.

:class:`Analyser` holds the trained model (:class:`loading.AnalysisModel`) and the data dir
and gives, per utterance, its target (the training speaker's logit, or the cosine to the
mean embedding of other utterances of its speaker) and each method's map; with
``fractions`` also the insertion/deletion curves of every map and of a random order.

Example:
    >>> summarise_areas({"ig": [{"deletion": 0.2, "insertion": 0.7}]})["ig"]
    {'deletion': 0.2, 'insertion': 0.7, 'utterances': 1}
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
import torch

from Process_Data.data_dir import read_kv
from TrainAndTest.analysis.base import AnalysisError, build_method
from TrainAndTest.analysis.loading import AnalysisModel, iter_inputs, select_utts
from TrainAndTest.analysis.perturbation import (
    area,
    deletion_eers,
    deletion_embeddings,
    perturbation_curves,
)
from TrainAndTest.analysis.targets import (
    SpeakerTarget,
    Target,
    VerificationTarget,
    check_target,
    predicted_class,
)


class Analyser:
    """Targets and maps for the utterances of ``data_dir``.

    Args:
        am: the trained model.
        data_dir: a data dir with ``feats.scp`` and ``utt2spk``.
        target: ``speaker`` or ``verification``.
        enrol_utts: verification: other utterances of the speaker averaged into the
            enrolment embedding.
        num_references: expected integrated gradients: utterances in the baseline pool.
    """

    def __init__(self, am: AnalysisModel, data_dir, target: str = "speaker",
                 enrol_utts: int = 5, num_references: int = 16):
        check_target(target, am.head)
        self.am, self.data_dir, self.kind = am, Path(data_dir), target
        self.utt2spk = read_kv(self.data_dir / "utt2spk")
        self.enrol_utts, self.num_references = int(enrol_utts), int(num_references)
        self._references: Optional[List[np.ndarray]] = None
        self.notes: List[str] = []

    def embedding(self, x: np.ndarray) -> torch.Tensor:
        """Embedding ``[D]`` of one model input ``x [T, F]``."""
        from TrainAndTest.embeddings import embed_utterance

        return torch.from_numpy(embed_utterance(self.am.model, x))

    def target_for(self, utt: str, x: np.ndarray) -> Target:
        """The target of utterance ``utt`` with model input ``x``."""
        spk = self.utt2spk.get(utt)
        if self.kind == "speaker":
            if spk in self.am.spk2int:
                return SpeakerTarget(self.am.model, self.am.head, self.am.spk2int[spk])
            index = predicted_class(self.am.model, self.am.head, torch.from_numpy(x)[None])
            self.notes.append(f"{utt}: speaker {spk} is not a training speaker; "
                              f"target is its top class {index}")
            return SpeakerTarget(self.am.model, self.am.head, index)
        others = [u for u, s in self.utt2spk.items() if s == spk and u != utt]
        if not others:
            raise AnalysisError(f"{utt}: its speaker {spk} has no other utterance to enrol")
        others = others[: self.enrol_utts]
        embs = [self.embedding(o.x)
                for o in iter_inputs(self.data_dir, self.am.frontend, others)]
        return VerificationTarget(self.am.model, torch.stack(embs).mean(dim=0))

    def references(self) -> List[np.ndarray]:
        """Model inputs of the baseline pool of expected integrated gradients (every
        ``n``-th utterance of the data dir, ``num_references`` in all)."""
        if self._references is None:
            utts = select_utts(self.data_dir)
            step = max(len(utts) // max(self.num_references, 1), 1)
            chosen = utts[::step][: self.num_references]
            self._references = [u.x for u in iter_inputs(self.data_dir, self.am.frontend,
                                                         chosen)]
        return self._references

    def maps(self, utt: str, x: np.ndarray, methods: Sequence[str], layer: Optional[str],
             options: Mapping[str, object], target: Optional[Target] = None
             ) -> Dict[str, torch.Tensor]:
        """Map ``[T, F]`` of each method for one utterance."""
        target = target or self.target_for(utt, x)
        opts = dict(options)
        if "expected_integrated_gradients" in methods:
            opts["references"] = self.references()
        out = {}
        for name in methods:
            method = build_method(name, target, layer if _uses_layer(name) else None, **opts)
            out[name] = method.attribute(torch.from_numpy(x))
        return out


def _uses_layer(name: str) -> bool:
    from TrainAndTest.analysis.base import ATTRIBUTIONS

    return ATTRIBUTIONS.get(name).uses_layer


def curves_of(target: Target, x: np.ndarray, maps: Mapping[str, torch.Tensor],
              fractions: Sequence[float], seed: int = 0) -> Dict[str, dict]:
    """Deletion/insertion curves (zeros baseline: the CMN mean) of each map and of a random
    order (``random``), with their areas."""
    xt = torch.from_numpy(x)
    base = torch.zeros_like(xt)
    out = {}
    orders = [(name, m, "saliency") for name, m in maps.items()]
    orders.append(("random", torch.zeros_like(xt), "random"))
    for name, m, order in orders:
        c = perturbation_curves(target, xt, m, base, fractions, order, seed)
        c["deletion_area"] = area(c["fractions"], c["deletion"])
        c["insertion_area"] = area(c["fractions"], c["insertion"])
        out[name] = c
    return out


class TrialDeletion:
    """EER of a trial list while the top bins of its test utterances are deleted.

    :meth:`add` takes each analysed utterance's maps (and a random order); :meth:`eers`
    embeds the enrolment side of the trials whose test side was analysed and gives, per
    method, the EER at every deletion step.

    Args:
        trials: path of a labelled trial list over the data dir's utterances.
        fractions: deletion steps (shares of bins), as for the curves.
    """

    def __init__(self, trials, fractions: Sequence[float]):
        from TrainAndTest.io.trials import read_trials

        self.trials = read_trials(trials)
        if not self.trials.has_labels:
            raise AnalysisError(f"{trials}: the trial list has no target/nontarget labels")
        self.fractions = list(fractions)
        self.tested = set(self.trials.test)
        self.deleted: Dict[str, Dict[str, np.ndarray]] = {}

    def test_utts(self, available: Sequence[str], limit: int = 0) -> List[str]:
        """Test-side ids of the list (in list order) that are in ``available`` and have
        both target and non-target trials, at most ``limit`` (0: all)."""
        kinds: Dict[str, set] = {}
        for b, label in zip(self.trials.test, self.trials.labels):
            kinds.setdefault(b, set()).add(int(label))
        have = set(available)
        out = [b for b in kinds if b in have and kinds[b] == {0, 1}]
        return out[:limit] if limit > 0 else out

    def check(self, utts: Sequence[str]) -> None:
        """AnalysisError unless the trials tested on ``utts`` hold both kinds."""
        chosen = set(utts)
        labels = {int(lab) for b, lab in zip(self.trials.test, self.trials.labels)
                  if b in chosen}
        if labels != {0, 1}:
            raise AnalysisError(
                f"{self.trials.path}: the analysed utterances are not the test side of both "
                f"target and non-target trials; leave out --utts/--per-speaker to analyse the "
                f"list's own test utterances")

    def add(self, model, utt: str, x: np.ndarray, maps: Mapping[str, torch.Tensor],
            seed: int = 0) -> None:
        """Deletion embeddings of one utterance for each map and a random order."""
        if utt not in self.tested:
            return
        xt = torch.from_numpy(x)
        orders = [(m, sal, "saliency") for m, sal in maps.items()]
        orders.append(("random", torch.zeros_like(xt), "random"))
        for name, sal, order in orders:
            self.deleted.setdefault(name, {})[utt] = deletion_embeddings(
                model, xt, sal, self.fractions, order, seed)

    def eers(self, analyser: Analyser) -> Dict[str, tuple]:
        """method -> (EER per step, trials used)."""
        tested = next(iter(self.deleted.values()), {})
        enrol_ids = sorted({a for a, b in zip(self.trials.enrol, self.trials.test)
                            if b in tested})
        enrol = {u.utt: analyser.embedding(u.x).numpy()
                 for u in iter_inputs(analyser.data_dir, analyser.am.frontend, enrol_ids)}
        try:
            return {m: deletion_eers(self.trials, enrol, d) for m, d in self.deleted.items()}
        except ValueError as e:
            raise AnalysisError(str(e)) from None


def eer_table(eers: Mapping[str, tuple], fractions: Sequence[float]) -> str:
    """Markdown table of :meth:`TrialDeletion.eers`: EER with nothing deleted, at the middle
    step, and the area under the EER curve (higher: the map found what matters)."""
    mid = len(fractions) // 2
    lines = [f"| method | EER% full | EER% at {fractions[mid]:.0%} deleted | area under EER "
             f"curve | trials |", "|---|---|---|---|---|"]
    for name, (e, n) in eers.items():
        lines.append(f"| {name} | {100 * e[0]:.2f} | {100 * e[mid]:.2f} | "
                     f"{area(fractions, e):.3f} | {n} |")
    return "\n".join(lines) + "\n"


def summarise_areas(areas: Mapping[str, List[Mapping[str, float]]]) -> Dict[str, dict]:
    """Mean deletion/insertion areas per method over utterances."""
    return {name: {"deletion": float(np.mean([a["deletion"] for a in rows])),
                   "insertion": float(np.mean([a["insertion"] for a in rows])),
                   "utterances": len(rows)}
            for name, rows in areas.items()}


def areas_table(summary: Mapping[str, Mapping[str, float]]) -> str:
    """Markdown table of :func:`summarise_areas` (deletion: lower is better; insertion:
    higher is better)."""
    lines = ["| method | deletion AUC (lower better) | insertion AUC (higher better) | utts |",
             "|---|---|---|---|"]
    for name, s in summary.items():
        lines.append(f"| {name} | {s['deletion']:.3f} | {s['insertion']:.3f} | "
                     f"{s['utterances']} |")
    return "\n".join(lines) + "\n"


def warn_notes(notes: Sequence[str], prog: str, limit: int = 5) -> None:
    """Print the first ``limit`` notes (and how many more) to stderr."""
    for n in notes[:limit]:
        print(f"{prog}: {n}", file=sys.stderr)
    if len(notes) > limit:
        print(f"{prog}: ... and {len(notes) - limit} more such notes", file=sys.stderr)
