"""Every top-level parameter real Stripe takes on the emulated endpoints (from stripe-python 16's params).

A parameter outside these is refused with Stripe's own `parameter_unknown`; one listed here that the
emulator does not model is refused with a message saying so, rather than silently ignored — so that code
passing against the emulator does not lean on behaviour it never checked.
"""
from __future__ import annotations

from backend.stripe_emulator.errors import invalid
from backend.stripe_emulator.forms import Params

KNOWN = {
    # payment_method_types: gone from stripe 16's types, still taken by Stripe on API versions before endive.
    "payment_intents.create": """payment_method_types allowed_payment_method_types amount amount_details application_fee_amount
        automatic_payment_methods capture_method confirm confirmation_method confirmation_token currency customer
        customer_account description error_on_requires_action excluded_payment_method_types mandate mandate_data
        metadata off_session on_behalf_of payment_details payment_method payment_method_configuration
        payment_method_data payment_method_options radar_options receipt_email return_url setup_future_usage
        shipping statement_descriptor statement_descriptor_suffix transfer_data transfer_group use_stripe_sdk""",
    "payment_intents.retrieve": "client_secret",
    "payment_intents.cancel": "cancellation_reason",
    "payment_intents.confirm": """payment_method_types allowed_payment_method_types amount_details amount_to_confirm capture_method
        confirmation_token error_on_requires_action excluded_payment_method_types mandate mandate_data off_session
        payment_details payment_method payment_method_data payment_method_options radar_options receipt_email
        return_url setup_future_usage shipping use_stripe_sdk""",
    "payment_intents.capture": """amount_details amount_to_capture application_fee_amount final_capture metadata
        payment_details statement_descriptor statement_descriptor_suffix transfer_data""",
    "refunds.create": """amount charge currency customer instructions_email metadata origin payment_intent reason
        refund_application_fee reverse_transfer""",
    "refunds.retrieve": "",
    "checkout.sessions.create": """payment_method_types adaptive_pricing after_expiration allow_promotion_codes
        allowed_payment_method_types automatic_tax billing_address_collection branding_settings cancel_url
        client_reference_id consent_collection currency custom_fields custom_text customer customer_account
        customer_creation customer_email customer_update discounts excluded_payment_method_types expires_at
        integration_identifier invoice_creation line_items locale managed_payments metadata mode name_collection
        optional_items origin_context payment_intent_data payment_method_collection payment_method_configuration
        payment_method_data payment_method_options permissions phone_number_collection redirect_on_completion
        return_url saved_payment_method_options setup_intent_data shipping_address_collection shipping_options
        submit_type subscription_data success_url tax_id_collection ui_mode wallet_options""",
    "checkout.sessions.retrieve": "",
    "checkout.sessions.expire": "",
    "terminal.readers.create": "label location metadata registration_code",
    "terminal.readers.retrieve": "",
    "terminal.readers.list": "device_type ending_before limit location serial_number starting_after status",
    "terminal.readers.process_payment_intent": "payment_intent process_config",
    "terminal.readers.cancel_action": "",
    "test_helpers.terminal.readers.present_payment_method": "amount_tip card card_present interac_present type",
}


def check(params: Params, endpoint: str, supported: str) -> None:
    known = set(KNOWN[endpoint].split()) | {"expand"}
    params.reject_unknown(known)
    modelled = set(supported.split()) | {"expand"}
    for key in params.tree:
        if key not in modelled:
            raise invalid(f"The Stripe emulator does not model the parameter {key} of {endpoint}; real Stripe "
                          "accepts it. Extend backend/stripe_emulator if the product needs it.", param=key)
