"""KioskApp: the lobby touchscreen. Screens are thin; the flow's state lives in the view-models."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.screenmanager import FadeTransition, ScreenManager

from kiosk.app_cheques import CHEQUE_SCREENS, ChequeScreens
from kiosk.app_clients import CLIENT_SCREENS, ReturningClientScreens
from kiosk.app_payments import PAY_SCREENS, PaymentScreens
from kiosk.client import BackendClient, BackendRefused, BackendUnavailable
from kiosk.outbox import Outbox
from kiosk.receipts import ReceiptPrinter, ReprintQueue
from kiosk.screens.checkout import CheckOutScreen
from kiosk.screens.confirmation import ConfirmationScreen
from kiosk.screens.pairing import PairingScreen
from kiosk.screens.pin import StaffScreen
from kiosk.screens.question import QuestionScreen
from kiosk.screens.review import ReviewScreen
from kiosk.screens.visitor_type import VisitorTypeScreen
from kiosk.screens.welcome import WelcomeScreen
from kiosk.screens.whom import WhomScreen
from kiosk.settings import KioskSettings
from kiosk.store import KioskStore, Pairing, hash_pin, pin_matches
from kiosk.theme import Theme
from kiosk.viewmodels.checkin import CheckInFlow
from kiosk.viewmodels.checkout import CheckOutFlow
from kiosk.viewmodels.idle import IdleWatch
from kiosk.viewmodels.payment import PaymentFlow
from kiosk.viewmodels.returning_client import ReturningClient
from kiosk.viewmodels.status import KioskStatus
from shared.enums import VisitState
from shared.i18n import N_, translate

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
FONTS = HERE.parent / "assets" / "fonts"
KV_FILES = [HERE / "widgets" / name for name in ("common.kv", "keyboard.kv", "review.kv", "idle.kv",
                                                  "receipt.kv", "signature.kv")] + sorted(
    (HERE / "screens").glob("*.kv"))
SCREENS = {
    "pairing": PairingScreen, "welcome": WelcomeScreen, "whom": WhomScreen, "visitor_type": VisitorTypeScreen,
    "question": QuestionScreen, "review": ReviewScreen, "confirmation": ConfirmationScreen,
    "checkout": CheckOutScreen, "staff": StaffScreen, **PAY_SCREENS, **CHEQUE_SCREENS, **CLIENT_SCREENS,
}
# How long a finished visitor's screen stays before the kiosk greets the next one.
CONFIRMATION_SECONDS = 30
GOODBYE_SECONDS = 10


class KioskApp(ReturningClientScreens, ChequeScreens, PaymentScreens, App):
    language = OptionProperty("fr", options=["fr", "en"])
    site_name = StringProperty("")
    clock_text = StringProperty("")
    date_text = StringProperty("")
    fullscreen = BooleanProperty(False)
    theme = ObjectProperty(None)
    status = ObjectProperty(None)
    flow = ObjectProperty(None)
    checkout = ObjectProperty(None)
    pay = ObjectProperty(None)
    returning = ObjectProperty(None)
    idle = ObjectProperty(None)

    def __init__(self, settings: KioskSettings, backend_url: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.settings = settings
        self.store = KioskStore(settings.data_dir)
        self.pairing = self.store.pairing()
        self.backend_url = backend_url or (self.pairing.backend_url if self.pairing else settings.backend_url)
        self.theme = Theme()
        self.status = KioskStatus(self.store)
        self.flow = CheckInFlow()
        self.checkout = CheckOutFlow()
        self.printer = ReceiptPrinter(settings.printer, settings.printer_profile,
                                      ReprintQueue(self.store.reprints_path))
        self.pay = PaymentFlow(self.printer)
        self.returning = ReturningClient()
        self.idle = IdleWatch(idle_seconds=settings.idle_seconds, warning_seconds=settings.idle_warning_seconds)
        self.client: BackendClient | None = None
        self.monotonic = time.monotonic
        self._tasks: set[asyncio.Task] = set()
        self._return_later = None
        self._idle_warning = None

    # --- text ----------------------------------------------------------------------------------------
    def t(self, message: str, *_bindings: object) -> str:
        """The message in the visitor's language; kv passes app.language along so it re-renders on a switch."""
        return translate(self.language, message) if message else ""

    @property
    def default_language(self) -> str:
        config = self.status.config
        return "en" if config is not None and config.site.locale.startswith("en") else "fr"

    # --- building ------------------------------------------------------------------------------------
    def build(self) -> ScreenManager:
        self.title = "Accueil"
        LabelBase.register("Atkinson", fn_regular=str(FONTS / "AtkinsonHyperlegible-Regular.ttf"),
                           fn_bold=str(FONTS / "AtkinsonHyperlegible-Bold.ttf"))
        LabelBase.register("Atkinson-Bold", fn_regular=str(FONTS / "AtkinsonHyperlegible-Bold.ttf"))
        for kv in KV_FILES:
            Builder.unload_file(str(kv))  # a second app in one process (tests) must not stack rules twice
            Builder.load_file(str(kv))
        self.status.bind(config=self._on_config)
        manager = ScreenManager(transition=FadeTransition(duration=0.12))
        for name, screen in SCREENS.items():
            manager.add_widget(screen(name=name))
        manager.current = "welcome" if self.pairing else "pairing"
        # The transition draws through buffers of the window's size: a rotated screen needs new ones.
        Window.bind(on_resize=lambda *_: setattr(manager, "transition", FadeTransition(duration=0.12)))
        Window.bind(on_touch_down=lambda *_: self.idle.touch(self.monotonic()))
        self.idle.bind(on_timeout=lambda *_: self.start_over(), warning=self._on_idle_warning)
        self.checkout.bind(outcome=self._on_checkout_outcome)
        self.pay.bind(step=self._on_pay_step, phase=self._on_pay_step)
        Clock.schedule_interval(self._tick, 1)
        self._on_config()
        return manager

    def on_start(self) -> None:
        self.fullscreen = self.settings.fullscreen
        self.language = self.default_language
        if self.backend_url:
            self.run(self._connect())

    def on_language(self, _app: KioskApp, language: str) -> None:
        # The flow words the review and the request in the visitor's language.
        self.flow.language = language
        self.pay.language = language

    def on_fullscreen(self, _app: KioskApp, value: bool) -> None:
        Window.fullscreen = "auto" if value else False

    def _on_config(self, *_args: object) -> None:
        config = self.status.config
        self.site_name = config.site.name if config else ""
        self.flow.config = config
        self.pay.config = config
        self._tick()  # the site's time zone may have changed

    def _tick(self, *_args: object) -> None:
        now = self._site_now()
        self.clock_text = now.strftime("%H:%M")
        locale = "fr_CA" if self.language == "fr" else "en_CA"
        self.date_text = format_date(now.date(), format="full", locale=locale)
        self.idle.tick(self.monotonic())
        self.pay.tick()

    def _site_now(self) -> dt.datetime:
        config = self.status.config
        return dt.datetime.now(ZoneInfo(config.site.time_zone) if config else None)

    def local_time(self, moment: dt.datetime) -> str:
        config = self.status.config
        return moment.astimezone(ZoneInfo(config.site.time_zone) if config else None).strftime("%H:%M")

    # --- the backend ---------------------------------------------------------------------------------
    def run(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run a coroutine on Kivy's asyncio loop, keeping a reference and logging a failure."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)

        def finished(done: asyncio.Task) -> None:
            self._tasks.discard(done)
            if not done.cancelled() and done.exception() is not None:
                log.error("kiosk task failed", exc_info=done.exception())

        task.add_done_callback(finished)
        return task

    async def _connect(self) -> None:
        outbox = Outbox(self.store.outbox_path)
        await outbox.open()
        self.client = BackendClient(self.backend_url, self.pairing.token if self.pairing else None, outbox)
        self.status.watch(self.client)
        self.client.on_visit_event.append(self.flow.on_visit_event)
        await self._connect_payments(self.client)
        if self.pairing is None:
            await self.client.start()
            return
        await self._go_live()

    async def _go_live(self) -> None:
        await self.client.start(background=True)
        await self.status.count_outbox(self.client)
        await self._start_printing(self.client)
        while True:
            await self.status.refresh_config(self.client)
            await asyncio.sleep(self.settings.config_refresh_seconds)

    async def pair(self, code: str, pin: str) -> str:
        """Pair with the code and keep the PIN; returns an error message id, or '' when paired."""
        if self.client is None:
            return N_("Start the kiosk with the address of the backend (--backend).")
        try:
            paired = await self.client.pair(code)
        except BackendRefused:
            return N_("This pairing code is unknown, used or expired. Ask for a new one.")
        except BackendUnavailable:
            return N_("The front office system cannot be reached. Check the network and the address.")
        salt, digest = hash_pin(pin)
        self.pairing = Pairing(self.backend_url, paired.token, paired.kiosk.name, salt, digest)
        self.store.save_pairing(self.pairing)
        self.run(self._go_live())
        self.go("welcome")
        return ""

    def staff_pin_matches(self, pin: str) -> bool:
        return self.pairing is not None and pin_matches(self.pairing, pin)

    async def shutdown(self) -> None:
        await self._finish_receipts()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.client is not None:
            await self.client.close()
            await self.client.outbox.close()
        await self.printer.queue.close()

    # --- navigation ----------------------------------------------------------------------------------
    def go(self, screen: str, back: bool = False) -> None:
        self.root.current = screen

    def begin_check_in(self) -> None:
        self.flow.reset()
        self.returning.reset()
        self.flow.config = self.status.config
        self.idle.start(self.monotonic())
        self.go("whom")

    def chose_department(self, department_id: int) -> None:
        self.flow.choose_department(department_id)
        self._after_whom()

    def chose_person(self, person) -> None:
        self.flow.choose_person(person)
        self._after_whom()

    def _after_whom(self) -> None:
        if self.flow.needs_visitor_type_choice:
            self.go("visitor_type")
        else:
            self.chose_visitor_type(self.status.config.visitor_types[0].id)

    def chose_visitor_type(self, visitor_type_id: int) -> None:
        self.flow.choose_visitor_type(visitor_type_id)
        self.ask_if_returning()

    def next_question(self) -> None:
        if self.flow.next_question() and self.flow.finished_questions:
            self.go("review")

    def previous_question(self) -> None:
        if self.root.current == "review":
            self.flow.index = len(self.flow.questions)
        if self.flow.previous_question():
            self.go("question", back=True)
        else:
            self.go(self.before_questions(), back=True)

    def edit_answer(self, key: str) -> None:
        self.flow.edit(key)
        self.go("question", back=True)

    def confirm_check_in(self) -> None:
        self.run(self._confirm())

    async def _confirm(self) -> None:
        await self.flow.submit(self.client)
        if self.flow.outcome in ("sent", "queued"):
            self.idle.stop()
            self.go("confirmation")
            self._return_later = Clock.schedule_once(lambda _dt: self.start_over(), CONFIRMATION_SECONDS)

    def begin_check_out(self) -> None:
        self.checkout.reset()
        self.idle.start(self.monotonic())
        self.go("checkout")

    def _on_checkout_outcome(self, _flow: CheckOutFlow, outcome: str) -> None:
        if outcome == "done":
            self.idle.stop()
            self._return_later = Clock.schedule_once(lambda _dt: self.start_over(), GOODBYE_SECONDS)

    def open_staff(self) -> None:
        self.idle.start(self.monotonic())
        self.go("staff")

    def start_over(self) -> None:
        """Back to Welcome, forgetting everything the visitor typed and chose."""
        if self._return_later is not None:
            self._return_later.cancel()
            self._return_later = None
        self.idle.stop()
        self.flow.reset()
        self.flow.config = self.status.config
        self.returning.reset()  # the next visitor must never see the previous one's file
        self.checkout.reset()
        self.cheques.reset()  # the employee's PIN and collection token must not outlive their session
        # A payment still waiting is cancelled, so the reader and the QR code stop for the next visitor.
        cancelling = self.pay.abandon(self.client)
        if cancelling is not None:
            self.run(cancelling)
        self.theme.high_contrast = False
        self.language = self.default_language
        if self.root is not None and self.pairing is not None:
            self.go("welcome", back=True)

    def _on_idle_warning(self, _idle: IdleWatch, warning: bool) -> None:
        if warning and self._idle_warning is None:
            self._idle_warning = Factory.IdleWarning()
            self._idle_warning.open()
        elif not warning and self._idle_warning is not None:
            self._idle_warning.dismiss()
            self._idle_warning = None

    # --- words that depend on state ------------------------------------------------------------------
    def confirmation_message(self, language: str, outcome: str, visit_state: str) -> str:
        if outcome == "queued":
            phone = self.status.config.site.phone if self.status.config else ""
            message = self.t("We cannot reach the front office system right now. Please let the front desk "
                             "know you are here. Your arrival will be sent automatically.")
            if phone:
                message += " " + self.t("Front desk: {phone}").format(phone=phone)
            return message
        if visit_state in (VisitState.ACKNOWLEDGED, VisitState.IN_MEETING):
            return self.t("Someone is coming to meet you.")
        if self.flow.host_name:
            return self.t("{host} knows you are here. Please take a seat.").format(host=self.flow.host_name)
        return self.t("The {department} department knows you are here. Please take a seat.").format(
            department=self.flow.department_name())

    def checkout_problem(self, language: str, outcome: str, mode: str) -> str:
        if outcome == "offline":
            return self.t("We cannot reach the front office system right now. Please see the front desk.")
        if outcome == "not_found":
            return (self.t("No visit has this code. Check the code on your pass, or see the front desk.")
                    if mode == "code" else self.t("Nobody by that name is checked in today."))
        return ""

    def staff_summary(self, language: str, online: bool, pending: int, rejected: int, kiosk_name: str) -> str:
        lines = [
            self.t("Kiosk: {name}").format(name=kiosk_name or "—"),
            self.t("Backend: {url}").format(url=self.backend_url or "—"),
            self.t("Connection: online") if online else self.t("Connection: offline"),
            self.t("Check-ins waiting to be sent: {count}").format(count=pending),
            self.t("Check-ins refused by the backend: {count}").format(count=rejected),
        ]
        return "\n".join(lines)
