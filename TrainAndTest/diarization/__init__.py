"""Speaker diarization: who spoke when (issue 17).

The pipeline, one module per step: speech activity (:mod:`.sad`: energy VAD, silero-vad
or the reference) -> sliding-window embeddings with a trained model and its own front end
(:mod:`.embed`) -> clustering (:mod:`.cluster`: AHC, spectral with an eigen-gap count,
UMAP + HDBSCAN) -> frame voting into turns (:mod:`.reseg`) -> RTTM (:mod:`.rttm`), DER
(:mod:`.der`) and pictures (:mod:`.plot`). :mod:`.recipe` runs the steps over a data dir
for ``local/run_diarization.sh``.
"""

from TrainAndTest.diarization.cluster import CLUSTER_METHODS, cluster_embeddings
from TrainAndTest.diarization.der import DerResult, diarization_error, score_recordings
from TrainAndTest.diarization.rttm import Turn, read_rttm, write_rttm

__all__ = [
    "CLUSTER_METHODS",
    "DerResult",
    "Turn",
    "cluster_embeddings",
    "diarization_error",
    "read_rttm",
    "score_recordings",
    "write_rttm",
]
