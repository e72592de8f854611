"""Model servers kept between batch transform jobs.

On SageMaker each transform job starts a container that loads the model again. Loading
the same archive with the same environment gives the same server, so the sandbox keeps
the last few and skips about 1 ms of unpacking and parsing per job. The archive's bytes
are part of the key, so a job on an overwritten artifact loads it afresh, and a load
that fails is never kept.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...algorithms.xgboost import XGBoostModelServer

CACHE_SIZE = 8

_Key = tuple[bytes, tuple[tuple[str, str], ...]]
_servers: OrderedDict[_Key, XGBoostModelServer] = OrderedDict()
_lock = threading.Lock()


def model_server(archive: bytes, environment: Mapping[str, str]) -> XGBoostModelServer:
    """Return the server of a model archive, loading it unless a recent job did."""
    from ...algorithms.xgboost import XGBoostModelServer

    key = (hashlib.sha256(archive).digest(), tuple(sorted(environment.items())))
    with _lock:
        server = _servers.get(key)
        if server is not None:
            _servers.move_to_end(key)
            return server

    server = XGBoostModelServer.from_model_archive(archive, environment)
    with _lock:
        _servers[key] = server
        while len(_servers) > CACHE_SIZE:
            _servers.popitem(last=False)
    return server


def clear() -> None:
    """Forget every kept server."""
    with _lock:
        _servers.clear()
