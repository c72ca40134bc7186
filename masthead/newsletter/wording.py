"""The exact words a reader agrees to. Shown on the page and stored in the consent log verbatim.

Change a sentence here and every page shows the new text and every new consent event records it;
old events keep the words those readers saw.
"""

# Next to the Subscribe button in every sign-up form (components/newsletter.html).
CONSENT_WORDING = (
    "By subscribing you agree to receive the weekly round-up by email. "
    "We will email you once to confirm, then weekly. "
    "Every issue has a one-click unsubscribe link."
)

# Next to the Confirm button on the page the confirmation email links to.
CONFIRM_WORDING = (
    "Yes, send the weekly round-up to this address. "
    "I can unsubscribe at any time with the link in every issue."
)

# Next to the Unsubscribe button on the page every issue links to.
UNSUBSCRIBE_WORDING = "Stop sending the weekly round-up to this address."

# A mail program's own "Unsubscribe" button (RFC 8058); the reader saw no page of ours.
ONE_CLICK_WORDING = "List-Unsubscribe=One-Click"
