"""Lookup-table cost models: per-entry latency (ms) or energy (mJ) tables, their
prediction of a whole network's cost, and a calibration against measurements.

One mechanism serves every space: a space names the entries of an
architecture's network (:meth:`spaces.SearchSpace.lut_keys`), the table sums
them. Cell spaces key entries by layer (op, channels, size, stride; built on
this host by ``python -m spaces.lut build``); the YOLO space keys them by
block depths (``backbone/3333``, ``head/5555``).
"""

from spaces.lut.calibration import Calibration, fit_calibration
from spaces.lut.table import LookupTable

__all__ = ["Calibration", "LookupTable", "fit_calibration"]
