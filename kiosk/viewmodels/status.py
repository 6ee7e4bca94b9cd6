"""The kiosk as staff see it: paired or not, online or not, configuration, the outbox."""
from __future__ import annotations

import logging

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

from kiosk.client import BackendClient, BackendRefused, BackendUnavailable
from kiosk.store import KioskStore
from shared.api import KioskConfig

log = logging.getLogger(__name__)


class KioskStatus(EventDispatcher):
    config: KioskConfig | None = ObjectProperty(None, allownone=True)
    online = BooleanProperty(False)
    pending = NumericProperty(0)  # check-ins waiting in the outbox
    rejected = NumericProperty(0)  # check-ins the backend refused for good: staff must look
    receipts_waiting = NumericProperty(0)  # receipts kept until the printer works again
    kiosk_name = StringProperty("")
    backend_url = StringProperty("")

    def __init__(self, store: KioskStore, **kwargs):
        super().__init__(**kwargs)
        self.store = store
        self.config = store.cached_config()
        if self.config is not None:
            self.kiosk_name = self.config.kiosk.name

    def watch(self, client: BackendClient) -> None:
        client.on_online_change.append(lambda online: setattr(self, "online", online))
        client.on_outbox_change.append(lambda count: setattr(self, "pending", count))
        self.backend_url = client.base_url

    async def refresh_config(self, client: BackendClient) -> bool:
        """Fetch the configuration and keep a copy, so the next start works without the backend."""
        try:
            config = await client.config()
        except (BackendUnavailable, BackendRefused) as error:
            log.info("configuration not refreshed: %s", type(error).__name__)
            return False
        if config != self.config:
            self.config = config
            self.store.cache_config(config)
        self.kiosk_name = config.kiosk.name
        return True

    async def count_outbox(self, client: BackendClient) -> None:
        self.pending = await client.outbox.count()
        self.rejected = len(await client.outbox.rejected())
