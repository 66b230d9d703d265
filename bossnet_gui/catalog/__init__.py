"""The results table, its quality flags, export/import and the persistent vetting store."""

from .flags import FLAGS, Thresholds, compute_flags, describe
from .table import USER_FLAGS, all_columns, frame_from_batch

__all__ = ["FLAGS", "Thresholds", "USER_FLAGS", "all_columns", "compute_flags", "describe", "frame_from_batch"]
