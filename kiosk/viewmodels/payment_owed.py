"""What a visitor owes: found by the code on the slip staff gave (or a visit's pass code), or a listed fee the
visitor picks; shown line by line with its taxes, in the visitor's language."""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import (
    BooleanProperty, ListProperty, NumericProperty, ObjectProperty, OptionProperty, StringProperty,
)

from kiosk.client import BackendClient, BackendRefused, BackendUnavailable
from kiosk.viewmodels import payment_words as words
from shared.api import FeeOut, KioskConfig, PaymentRequestOut
from shared.money import format_money

CODE_LIMIT = 12


class OwedFlow(EventDispatcher):
    """The first half of paying; PaymentFlow adds the paying itself."""

    config: KioskConfig | None = ObjectProperty(None, allownone=True)
    language = OptionProperty("fr", options=["fr", "en"])
    step = OptionProperty("code", options=["code", "summary", "card", "phone", "result"])
    code = StringProperty("")
    busy = BooleanProperty(False)  # a request to the backend is under way: buttons wait
    message = StringProperty("")  # a msgid (or the backend's words) for the code and summary screens
    requests: list[PaymentRequestOut] = ListProperty([])  # several open requests for one visit: the visitor picks
    fee: FeeOut | None = ObjectProperty(None, allownone=True)
    quantity = NumericProperty(1)
    request: PaymentRequestOut | None = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._generation = 0  # bumped by reset: answers for an earlier visitor are dropped

    # --- what the kiosk offers ------------------------------------------------------------------------

    @property
    def card_offered(self) -> bool:
        return bool(self.config and self.config.payments and self.config.payments.card)

    @property
    def phone_offered(self) -> bool:
        return bool(self.config and self.config.payments and self.config.payments.phone)

    @property
    def test_mode(self) -> bool:
        return bool(self.config and self.config.payments and self.config.payments.test_mode)

    @property
    def fees(self) -> list[FeeOut]:
        return list(self.config.payments.fees) if self.config and self.config.payments else []

    def money(self, amount: int, language: str | None = None) -> str:
        """An amount in the site's currency, as the visitor's language writes it (kv passes the language)."""
        site = self.config.site if self.config else None
        locale = words.display_locale(site.locale if site else "fr_CA", language or self.language)
        return format_money(amount, site.currency if site else "CAD", locale)

    def summary_rows(self, language: str | None = None) -> list[tuple[str, str, str]]:
        if self.request is None:
            return []
        language = language or self.language
        locale = words.display_locale(self.config.site.locale if self.config else "fr_CA", language)
        return words.summary_rows(self.request, language, locale)

    # --- finding what is owed ---------------------------------------------------------------------------

    def type_code(self, text: str) -> None:
        self.code = "".join(ch for ch in text.upper() if ch.isalnum())[:CODE_LIMIT]
        self.message = ""

    async def look_up(self, client: BackendClient) -> None:
        """The open requests the typed code finds; one goes straight to its summary."""
        found = await self._call(client.find_payment_requests(self.code))
        if found is None:
            return
        if len(found) == 1:
            self.choose_request(found[0])
        else:
            self.requests = found

    def choose_request(self, request: PaymentRequestOut) -> None:
        self.request, self.requests, self.message = request, [], ""
        self.step = "summary"

    def select_fee(self, fee: FeeOut) -> None:
        self.fee, self.quantity, self.message = fee, 1, ""

    def change_quantity(self, delta: int) -> None:
        if self.fee is not None:
            self.quantity = max(1, min(self.fee.max_quantity, self.quantity + delta))

    async def confirm_fee(self, client: BackendClient) -> None:
        if self.fee is None:
            return
        made = await self._call(client.request_fee(self.fee.id, int(self.quantity), self.language))
        if made is not None:
            self.fee = None
            self.choose_request(made)

    # --- plumbing ---------------------------------------------------------------------------------------

    async def _call(self, call: Coroutine[Any, Any, Any], *,
                    abandoned: Callable[[Any], Coroutine[Any, Any, None]] | None = None) -> Any:
        """One backend call behind the busy flag; refusals and outages become the message shown. None on failure,
        and None when the visitor left meanwhile (`abandoned` then gets what came back, to undo it)."""
        if self.busy:
            call.close()
            return None
        generation = self._generation
        self.busy, self.message = True, ""
        try:
            result = await call
        except BackendRefused as error:
            result, message = None, words.refusal_message(error.problem)
        except BackendUnavailable as error:
            result, message = None, words.PAYMENTS_DOWN if error.problem is not None else words.OFFLINE
        else:
            message = ""
        finally:
            if generation == self._generation:
                self.busy = False
        if generation != self._generation:
            if result is not None and abandoned is not None:
                await abandoned(result)
            return None
        self.message = message
        return result

    def reset(self) -> None:
        self._generation += 1
        self.code = self.message = ""
        self.requests = []
        self.fee = self.request = None
        self.quantity = 1
        self.busy = False
        self.step = "code"
