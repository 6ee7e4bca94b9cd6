"""(being written)"""
from __future__ import annotations

from backend.core.api import Endpoints

routes = Endpoints()
