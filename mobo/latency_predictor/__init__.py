"""A HELP-style few-shot latency predictor: meta-trained on many devices, adapted to a new
one from a few measured architectures (see :mod:`mobo.latency_predictor.model`).

Commands: ``python -m mobo.latency_predictor fit | suggest | adapt | predict``.
"""

from mobo.latency_predictor.fit import fit, fit_table, table_latencies
from mobo.latency_predictor.measurements import read_measurements
from mobo.latency_predictor.model import LatencyPredictor, PredictorSettings, space_pool

__all__ = ["LatencyPredictor", "PredictorSettings", "fit", "fit_table", "read_measurements", "space_pool",
           "table_latencies"]
