"""kmsearch: Thai-language knowledge search for a municipality's knowledge-management plan."""

import os

# PyThaiNLP must never reach for the network or write into HOME at run time: missing
# data then fails at once with a clear error instead of hanging on a download.
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

__version__ = "0.1.0"
