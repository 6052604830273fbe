"""A customer's help-centre notes: what the support agent should know."""

from __future__ import annotations

NOTES = [
    ("Password resets are done from Settings > Security > Reset password.", "account"),
    ("Two-factor authentication can be enabled under Settings > Security.", "account"),
    ("Refunds take 5 business days to reach the original payment method.", "billing"),
    ("Invoices are emailed on the first day of each month.", "billing"),
    ("Our office is closed on public holidays.", "company"),
    ("The mobile app supports dark mode since version 3.2.", "product"),
    ("Data exports are available as CSV from Reports > Export.", "product"),
]
