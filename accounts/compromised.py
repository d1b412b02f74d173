"""The "password compromised?" wizard (/security/compromised/), as the guide walks through it:

1. the current password and a new one, applied at once: every other session is signed out, this
   one stays;
2. the inventory of what someone holding the old password may have created or used (other
   sessions, application passwords, API tokens, 2FA methods with the recently added ones pointed
   out) — the categories come from settings.CREDENTIAL_INVENTORIES (accounts.inventory), so this
   module imports none of the apps that own them. Most are revoked here, one by one or all at
   once; 2FA methods are removed on the 2FA page's own confirmation, which comes back here;
3. the security review (security.review shows it as the last step), then "Finish", which sends
   the person one summary of what changed.

The wizard's progress is kept in the session: the steps after the first open only once the
password was changed in this session, and the summary lists what was revoked along the way.
This module holds that state and the steps; the pages are accounts/compromised_views.py, the
services accounts/services/compromised.py.
"""

from __future__ import annotations

from typing import Any, TypedDict

from django.http import HttpRequest
from django.utils.translation import gettext_lazy

STATE_KEY = "_portal_compromised"
STEPS = (
    gettext_lazy("Change your password"),
    gettext_lazy("Revoke what you do not recognise"),
    gettext_lazy("Review your security"),
)
WIZARD_TITLE = gettext_lazy("Password compromised?")


class WizardState(TypedDict):
    id: str  # one run of the wizard: the summary email's key
    started_at: float
    sessions_ended: int
    revoked: dict[str, list[str]]  # category key -> names of what was revoked


def wizard_state(request: HttpRequest) -> WizardState | None:
    """The run in progress in this session, once step 1 changed the password; None otherwise."""
    state = request.session.get(STATE_KEY)
    return state if isinstance(state, dict) and state.get("id") else None  # type: ignore[return-value]


def stepper(current: int) -> dict[str, Any]:
    """Context of templates/portal/_stepper.html for step `current` (1-based)."""
    return {"stepper_title": WIZARD_TITLE, "steps": STEPS, "current_step": current}
