from kivy.app import App

from kiosk.screens.base import ListScreen
from kiosk.screens.tiles import fill
from kiosk.viewmodels.payment_owed import CODE_LIMIT
from kiosk.widgets.keyboard import apply_key


class PayCodeScreen(ListScreen):
    """Paying: the code from the slip staff gave, or one of the site's listed fees."""

    def on_kv_post(self, *_args) -> None:
        super().on_kv_post()
        App.get_running_app().pay.bind(requests=self.populate, fee=self.populate, config=self.populate)

    def populate(self, *_args) -> None:
        app = App.get_running_app()
        pay = app.pay
        chosen = getattr(pay.fee.name, app.language) if pay.fee else None
        fill(self.ids.fees, [
            (getattr(fee.name, app.language), pay.money(fee.unit_amount, app.language),
             lambda fee=fee: self.choose_fee(fee)) for fee in pay.fees
        ], selected=chosen)
        fill(self.ids.found, [
            (" · ".join(line.description for line in request.lines), pay.money(request.total, app.language),
             lambda request=request: pay.choose_request(request)) for request in pay.requests
        ])

    def choose_fee(self, fee) -> None:
        app = App.get_running_app()
        app.pay.select_fee(fee)
        if fee.max_quantity <= 1:  # nothing to ask: straight on
            app.run(app.pay.confirm_fee(app.client))

    def type_key(self, key: str) -> None:
        pay = App.get_running_app().pay
        pay.type_code(apply_key(pay.code, key, CODE_LIMIT))
