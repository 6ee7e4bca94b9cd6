"""The kiosk app's part in welcoming a returning client: during check-in, after whom and the visitor type, "Have you
visited us before?", finding their file, checking their contact details, then the questions the file does not
answer. Without the backend the step is left out: checking in must work offline."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.screens.returning_ask import ReturningAskScreen
from kiosk.screens.returning_contact import ReturningContactScreen
from kiosk.screens.returning_edit import ReturningEditScreen
from kiosk.screens.returning_identify import ReturningIdentifyScreen

if TYPE_CHECKING:
    from kiosk.app import KioskApp

CLIENT_SCREENS = {"returning_ask": ReturningAskScreen, "returning_identify": ReturningIdentifyScreen,
                  "returning_contact": ReturningContactScreen, "returning_edit": ReturningEditScreen}


class ReturningClientScreens:
    """Mixed into KioskApp (its flow, returning, client, status and navigation)."""

    def ask_if_returning(self: KioskApp) -> None:
        """After the visitor type: ask whether they came before, unless that cannot help now."""
        returning = self.returning
        if returning.identified is not None:  # came back to change the visitor type: still known
            self.continue_as_client()
        elif self.client is None or not self.status.online or self.status.config is None:
            returning.asked = False
            self.go("question")
        else:
            returning.asked = True
            self.go("returning_ask")

    def first_visit(self: KioskApp) -> None:
        self.returning.forget()
        self.flow.use_client_file({}, "")
        self.go("question")

    def find_my_file(self: KioskApp) -> None:
        self.returning.forget()
        self.returning.region = self.status.config.site.country if self.status.config else "CA"
        self.go("returning_identify")

    def look_up_file(self: KioskApp) -> None:
        self.run(self._look_up_file())

    async def _look_up_file(self: KioskApp) -> None:
        await self.returning.identify(self.client)
        if self.returning.outcome == "found" and self.root.current == "returning_identify":
            self.go("returning_contact")

    def continue_without_file(self: KioskApp) -> None:
        """Not found, locked out or offline: the check-in goes on as for anyone."""
        self.returning.forget()
        self.flow.use_client_file({}, "")
        self.go("question")

    def edit_contact(self: KioskApp, field: str) -> None:
        self.returning.edit(field)
        self.go("returning_edit")

    def finish_contact_edit(self: KioskApp) -> None:
        if self.returning.finish_edit():
            self.go("returning_contact", back=True)

    def cancel_contact_edit(self: KioskApp) -> None:
        self.returning.cancel_edit()
        self.go("returning_contact", back=True)

    def send_contact_changes(self: KioskApp) -> None:
        self.run(self.returning.send_changes(self.client))

    def continue_as_client(self: KioskApp) -> None:
        """On with the check-in, the visitor's name (and what else the file says) already known."""
        returning = self.returning
        self.flow.use_client_file(returning.known_answers(self.flow.questions), returning.identified.client_token)
        self.go("review" if self.flow.finished_questions else "question")

    def before_questions(self: KioskApp) -> str:
        """Where Back leads from the first question asked."""
        if self.returning.identified is not None:
            return "returning_contact"
        if self.returning.asked:
            return "returning_ask"
        return "visitor_type" if self.flow.needs_visitor_type_choice else "whom"

    def returning_back(self: KioskApp) -> None:
        """Back from one of the returning client's screens; leaving a found file forgets it."""
        current = self.root.current
        if current == "returning_ask":
            self.go("visitor_type" if self.flow.needs_visitor_type_choice else "whom", back=True)
        elif current == "returning_identify":
            self.returning.forget()
            self.go("returning_ask", back=True)
        elif current == "returning_contact" and self.returning.updating and self.returning.proposal != "sent":
            self.returning.stop_updating()
        elif current == "returning_contact":
            self.returning.forget()
            self.flow.use_client_file({}, "")
            self.go("returning_identify", back=True)
        elif current == "returning_edit":
            self.cancel_contact_edit()
