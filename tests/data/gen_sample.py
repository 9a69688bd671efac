#!/usr/bin/env python3
"""Generate tests/data/sample_snapshot.json, a realistic trailstore snapshot.

Deterministic: every random choice comes from one random.Random(20261122), drawn in a fixed order,
so running

    python3 tests/data/gen_sample.py

rewrites the JSON byte-identically. Standard library only; Python 3.9+.

Contents: two projects ("Web Shop", single-suite; "Mobile App", three suites), nested sections,
six milestones, the default case types / priorities / templates, 17 case fields covering every
custom field type, and about 300 cases whose custom_* keys are exactly the fields that apply to
their project and template (unset optional fields are present with value null); the five
system statuses and a custom one, three result fields (Step Results among them), two
configuration groups, a closed run and an open include-all run of the Web Shop, a plan of the
Mobile App with one entry run in two configurations, their tests and about 200 results.
"""

import datetime
import json
import os
import random

SEED = 20261122
HOST = "https://example.testrail.io/"
TS_MIN = 1735689600  # 2025-01-01T00:00:00Z
TS_MAX = 1767225600  # 2026-01-01T00:00:00Z
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_snapshot.json")

rng = random.Random(SEED)


def url(kind, ident):
    return "%sindex.php?/%s/%d" % (HOST, kind, ident)


def ts(y, m, d, hh=9, mm=0):
    dt = datetime.datetime(y, m, d, hh, mm, tzinfo=datetime.timezone.utc)
    return int(dt.timestamp())


def mdy(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%m/%d/%Y")


def hex13():
    return "%013x" % rng.getrandbits(52)


def weighted(pairs):
    values = [v for v, _ in pairs]
    weights = [w for _, w in pairs]
    return rng.choices(values, weights=weights, k=1)[0]


# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------

USERS = [
    {"id": 1, "name": "Alexis Gonzalez", "email": "alexis.gonzalez@example.com",
     "is_active": True, "role_id": 1, "role": "Lead"},
    {"id": 2, "name": "Jürgen Müller", "email": "juergen.mueller@example.com",
     "is_active": True, "role_id": 3, "role": "Tester"},
    {"id": 3, "name": "Priya Raman", "email": "priya.raman@example.com",
     "is_active": True, "role_id": 2, "role": "Designer"},
    {"id": 4, "name": "Tomás Ortega", "email": "tomas.ortega@example.com",
     "is_active": False, "role_id": 3, "role": "Tester"},
]
ACTIVE_USERS = [u["id"] for u in USERS if u["is_active"]]

CASE_TYPE_NAMES = ["Acceptance", "Accessibility", "Automated", "Compatibility", "Destructive",
                   "Functional", "Other", "Performance", "Regression", "Security",
                   "Smoke & Sanity", "Usability"]
CASE_TYPES = [{"id": i + 1, "name": n, "is_default": n == "Other"}
              for i, n in enumerate(CASE_TYPE_NAMES)]

PRIORITIES = [
    {"id": i, "name": "%d - %s" % (i, n), "short_name": "%d - %s" % (i, n),
     "is_default": i == 2, "priority": i}
    for i, n in [(1, "Low"), (2, "Medium"), (3, "High"), (4, "Critical")]
]

TEMPLATE_DEFS = {
    1: {"id": 1, "name": "Test Case (Text)", "is_default": True,
        "i18n_custom_id": "templates_test_case_text"},
    2: {"id": 2, "name": "Test Case (Steps)", "is_default": False,
        "i18n_custom_id": "templates_test_case_steps"},
    3: {"id": 3, "name": "Exploratory Session", "is_default": False,
        "i18n_custom_id": "templates_exploratory_session"},
}
PROJECT_TEMPLATES = {1: [1, 2, 3], 2: [1, 2]}

PROJECTS = [
    {"id": 1, "name": "Web Shop", "announcement": None, "show_announcement": False,
     "is_completed": False, "completed_on": None, "suite_mode": 1,
     "url": url("projects/overview", 1)},
    {"id": 2, "name": "Mobile App",
     "announcement": "iOS and Android apps plus the **Backend API** they sync with.\n\n"
                     "Release train: every second Tuesday. Ask in #mobile-qa before editing "
                     "shared steps.",
     "show_announcement": True, "is_completed": False, "completed_on": None, "suite_mode": 3,
     "url": url("projects/overview", 2)},
]

# (id, project_id, name, description, is_master)
SUITE_DEFS = [
    (1, 1, "Master", None, True),
    (2, 2, "iOS", "Native iOS app (Swift, iOS 17+).", False),
    (3, 2, "Android", "Native Android app (Kotlin, Android 10+).", False),
    (4, 2, "Backend API", "REST API used by both apps: auth, sync and push.", False),
]
SUITE_PROJECT = {s[0]: s[1] for s in SUITE_DEFS}


def milestone(mid, pid, name, desc, start_on, started_on, due_on, completed_on, parent_id, refs):
    return {
        "id": mid, "name": name, "description": desc, "project_id": pid,
        "start_on": start_on, "started_on": started_on, "is_started": started_on is not None,
        "due_on": due_on, "is_completed": completed_on is not None,
        "completed_on": completed_on, "parent_id": parent_id, "refs": refs,
        "url": url("milestones/view", mid),
    }


MILESTONES = [
    milestone(1, 1, "Release 2025.1", "Spring release: new checkout and saved cards.",
              ts(2025, 1, 6), ts(2025, 1, 6, 10, 12), ts(2025, 3, 31), ts(2025, 4, 2, 16, 40),
              None, "SHOP-1000"),
    milestone(2, 1, "Release 2025.2", "Autumn release: search relevance and returns portal.",
              ts(2025, 6, 2), ts(2025, 6, 2, 9, 5), ts(2025, 11, 28), None, None,
              "SHOP-1200, SHOP-1201"),
    milestone(3, 1, "2025.2 – Payments hardening", None,
              ts(2025, 9, 1), ts(2025, 9, 1, 8, 30), ts(2025, 10, 17), None, 2, None),
    milestone(4, 2, "App 4.0", "Offline mode and the new onboarding.",
              ts(2025, 2, 3), ts(2025, 2, 3, 9, 0), ts(2025, 5, 15), ts(2025, 5, 20, 11, 0),
              None, "MOB-400"),
    milestone(5, 2, "App 4.1", "Biometric login, notification channels, delta sync v2.",
              ts(2025, 7, 1), ts(2025, 7, 1, 9, 45), ts(2025, 12, 9), None, None, "MOB-410"),
    milestone(6, 2, "App 4.1 – Beta 2", "Second public beta on TestFlight and Play.",
              ts(2025, 11, 3), None, ts(2025, 11, 24), None, 5, None),
]
PROJECT_MILESTONES = {p["id"]: [m["id"] for m in MILESTONES if m["project_id"] == p["id"]]
                      for p in PROJECTS}

# --------------------------------------------------------------------------------------------
# Case fields
# --------------------------------------------------------------------------------------------

T_STRING, T_INTEGER, T_TEXT, T_URL, T_CHECKBOX, T_DROPDOWN = 1, 2, 3, 4, 5, 6
T_USER, T_DATE, T_MILESTONE, T_STEPS, T_MULTI = 7, 8, 9, 10, 12
NO_DEFAULT = (T_MULTI, T_MILESTONE, T_DATE)


def options(type_id, required=False, default="", fmt=None, rows=None, items=None):
    o = {"is_required": required}
    if type_id not in NO_DEFAULT:
        o["default_value"] = default
    if fmt is not None:
        o["format"] = fmt
    if rows is not None:
        o["rows"] = rows
    if items is not None:
        o["items"] = items
    return o


def config(type_id, project_ids=None, **kw):
    return {
        "id": hex13(),
        "context": {"is_global": project_ids is None, "project_ids": project_ids},
        "options": options(type_id, **kw),
    }


# (name, label, description, type_id, include_all, template_ids, is_active, [config kwargs])
FIELD_DEFS = [
    ("preconds", "Preconditions", "The preconditions of this test case. Reference other "
     "test cases with [C#] (e.g. [C17]).", T_TEXT, True, [], True,
     [dict(fmt="markdown", rows="5")]),
    ("steps", "Steps", "The required steps to execute the test case.", T_TEXT, True, [], True,
     [dict(fmt="markdown", rows="5")]),
    ("expected", "Expected Result", "The expected result after executing the test case.",
     T_TEXT, True, [], True, [dict(fmt="markdown", rows="5")]),
    ("steps_separated", "Steps", None, T_STEPS, False, [2], True,
     [dict(fmt="markdown", rows="5")]),
    ("mission", "Mission", "A high-level overview of what to test and which areas to cover.",
     T_TEXT, False, [3], True, [dict(fmt="markdown", rows="5")]),
    ("goals", "Goals", "A detailed list of goals to cover as part of the exploratory session.",
     T_TEXT, False, [3], True, [dict(fmt="plain", rows="5")]),
    ("automation_type", "Automation Type", None, T_DROPDOWN, True, [], True,
     [dict(default="0", items="0, None\n1, Ranorex\n2, Selenium\n3, Playwright")]),
    ("automation_id", "Automation ID", "Fully qualified test name used by trcli to match "
     "JUnit results.", T_STRING, True, [], True, [dict()]),
    ("component", "Component", None, T_DROPDOWN, True, [], True,
     [dict(project_ids=[1], required=True, items="1, Cart\n2, Checkout\n3, Search\n4, Account"),
      dict(project_ids=[2], required=False, items="1, Onboarding\n2, Sync\n3, Notifications")]),
    ("story_points", "Story Points", "Effort estimate from refinement (Fibonacci).", T_INTEGER,
     True, [], True, [dict(project_ids=[1])]),
    ("spec_url", "Specification", "Link to the specification or design page.", T_URL, True,
     [], True, [dict()]),
    ("is_flaky", "Flaky", "Checked when the automated version fails intermittently.",
     T_CHECKBOX, True, [], True, [dict(default="0")]),
    ("reviewer", "Reviewer", None, T_USER, True, [], True, [dict()]),
    ("last_verified", "Last Verified", "Date of the last manual verification.", T_DATE, True,
     [], True, [dict()]),
    ("target_milestone", "Target Milestone", None, T_MILESTONE, True, [], True,
     [dict(project_ids=[2])]),
    ("platforms", "Platforms", "Platforms this case must be run on.", T_MULTI, True, [], True,
     [dict(project_ids=[2], required=True,
           items="1, iOS 17\n2, iOS 18\n3, Android 14\n4, Android 15")]),
    ("legacy_notes", "Legacy Notes", "Free-text notes from the old test management tool.",
     T_TEXT, True, [], False, [dict(fmt="plain", rows="3")]),
]

CASE_FIELDS = []
for _i, (_name, _label, _desc, _type, _all, _tids, _active, _cfgs) in enumerate(FIELD_DEFS):
    CASE_FIELDS.append({
        "id": _i + 1,
        "name": _name,
        "system_name": "custom_" + _name,
        "label": _label,
        "description": _desc,
        "type_id": _type,
        "display_order": _i + 1,
        "configs": [config(_type, **c) for c in _cfgs],
        "include_all": _all,
        "template_ids": _tids,
        "is_active": _active,
    })


def applicable_fields(project_id, template_id):
    """(field, config) pairs that apply to a case, in field display order (spec section 6)."""
    out = []
    for f in CASE_FIELDS:
        if not f["is_active"]:
            continue
        if not (f["include_all"] or template_id in f["template_ids"]):
            continue
        cfg = None
        for c in f["configs"]:
            ctx = c["context"]
            if ctx["is_global"] or project_id in (ctx["project_ids"] or []):
                cfg = c
                break
        if cfg is not None:
            out.append((f, cfg))
    return out


def item_ids(cfg):
    return [int(line.split(",", 1)[0]) for line in cfg["options"]["items"].split("\n")]


# --------------------------------------------------------------------------------------------
# Sections and case titles
# --------------------------------------------------------------------------------------------

def S(name, desc=None, cases=(), children=(), area=None):
    return {"name": name, "description": desc, "cases": list(cases),
            "children": list(children), "area": area}


LONG_TITLE = (
    "Guest checkout with a mixed cart (one backordered item, one digital gift card and one "
    "oversized item needing freight delivery) applies the SUMMER25 coupon only to eligible "
    "lines, splits it into three shipments and lists every line in the confirmation"
)

SHOP_TREE = [
    S("Account", "Registration, sign-in and the customer's own data.", area="account", cases=[
        "Account menu shows the customer's first name after sign-in",
        "Logged-out header shows Sign in and Create account links",
    ], children=[
        S("Registration", cases=[
            "Register a new account with a valid email and strong password",
            "Registration rejects an email address that is already in use",
            "Password strength meter updates while typing the new password",
            "Registration form requires acceptance of the terms and conditions",
            "Newsletter opt-in checkbox is unchecked by default on sign-up",
            "Verification email is sent and the link activates the account",
            "Expired verification link shows an error and a resend option",
            "Registration with a plus-addressed email (a+shop@example.com) works",
        ]),
        S("Login", "Email/password and social sign-in.", cases=[
            "Sign in with valid email and password redirects to the previous page",
            "Sign in fails with a wrong password and shows a generic error",
            "Email field on the sign-in form is case-insensitive",
            "Account is locked for 15 minutes after five failed sign-in attempts",
            "Remember me keeps the session alive for 30 days",
            "Sign out invalidates the session cookie in every open tab",
            "Session expires after 60 minutes of inactivity during checkout",
            "Sign in with Google creates a linked account on first use",
            "Sign in with Apple works when the user hides their email address",
            "Guest cart is merged into the customer cart after sign-in",
            "Sign-in page sets Secure and HttpOnly flags on the session cookie",
            "Deactivated account cannot sign in and sees a support contact link",
            "Login form shows a CAPTCHA after three failed attempts",
            "Deep link to order history prompts sign-in and returns afterwards",
            "Concurrent sessions in two browsers both stay signed in",
        ], children=[
            S("Password reset", cases=[
                "Request a password reset link for a registered email address",
                "Reset request for an unknown email shows the same neutral message",
                "Password reset link expires after 24 hours",
                "Password reset link can only be used once",
                "New password must differ from the last three passwords",
                "All other sessions are signed out after a password reset",
            ]),
            S("Two-factor authentication", "TOTP only; SMS was removed in 2024.", cases=[
                "Enable TOTP two-factor authentication with an authenticator app",
                "Sign-in asks for the one-time code when 2FA is enabled",
                "Backup recovery code signs the user in and is then invalidated",
                "Five wrong one-time codes in a row lock the 2FA step",
                "Disabling 2FA requires the current password and a valid code",
            ]),
        ]),
        S("Profile & addresses", cases=[
            "Update first and last name on the profile page",
            "Add a second shipping address and set it as the default",
            "Delete a saved address that is not used by any open order",
            "Change the account email address with re-verification",
            "Profile page validates phone numbers in E.164 format",
            "Download the personal data export (GDPR) as a ZIP file",
        ]),
    ]),
    S("Catalog", "Category listings and product pages.", area="catalog", children=[
        S("Product listing", cases=[
            "Category page lists 24 products per page with pagination",
            "Infinite scroll loads the next page when reaching the footer",
            "Out-of-stock products are shown greyed out at the end of the list",
            "Sale badge and crossed-out price appear on discounted products",
            "Empty category shows a friendly message and bestseller links",
            "Product tiles show the lowest variant price with a 'from' prefix",
            "Quick view opens the product summary without leaving the listing",
            "Explore filters on categories with more than 1,000 products",
        ], children=[
            S("Filters & sorting", cases=[
                "Filter products by brand narrows the listing and updates the count",
                "Combine price range and colour filters on the shoes category",
                "Sort by price ascending orders products by the lowest variant price",
                "Sort by newest shows products by release date, newest first",
                "Sort by customer rating puts unrated products last",
                "Selected filters persist when navigating back from a product page",
                "Clear all filters resets the listing to the default sort order",
                "Filter chips can be removed one by one above the results",
                "Filter URL parameters are shareable and restore the same listing",
                "Size filter hides sizes that are out of stock in every colour",
            ]),
        ]),
        S("Product detail page", "Also called PDP.", cases=[
            "Product page shows title, price, gallery and stock status",
            "Selecting a variant updates price, SKU and availability",
            "Image gallery supports pinch zoom and swipe on touch devices",
            "Low-stock warning appears when fewer than five units are left",
            "Delivery estimate is shown based on the customer's postcode",
            "Size guide opens in a modal and closes with the Escape key",
            "Recently viewed carousel shows the last eight products",
            "Structured data (schema.org Product) is present in the page source",
        ]),
        S("Reviews & ratings", cases=[
            "Verified buyer can submit a star rating and a written review",
            "Review containing profanity is held for moderation",
            "Average rating and review count match the approved reviews",
            "Customer can mark a review as helpful only once",
        ]),
    ]),
    S("Search", area="search", cases=[
        "Search box is visible in the header on every storefront page",
    ], children=[
        S("Autocomplete", cases=[
            "Autocomplete suggests products after typing three characters",
            "Autocomplete highlights the matched part of each suggestion",
            "Arrow keys and Enter select an autocomplete suggestion",
            "Autocomplete shows matching categories above product suggestions",
            "Autocomplete responds within 300 ms with a warm cache",
            "Typing fast never shows stale suggestions from earlier input",
        ]),
        S("Search results", cases=[
            "Search for an exact product name returns it as the first result",
            "Search tolerates a single typo in the product name",
            "Search for a SKU opens the product detail page directly",
            "Search with no results suggests alternative spellings",
            "Search results can be filtered by category and price",
            "Search query with leading and trailing spaces is trimmed",
            "Search for a synonym (sneakers vs trainers) returns the same items",
            "Search results page shows the total number of matching products",
            "Search query containing <b>HTML</b> is escaped in the results heading",
            "Search for a discontinued product shows suggested replacements",
            "Search ranking boosts in-stock products above out-of-stock ones",
            "Search with a 200-character query returns results without an error",
            "Pagination on search results keeps the query and filters",
            "Search by brand name lists the brand landing page first",
            "Searching while signed in records the term in recent searches",
            "Explore search relevance for long-tail and misspelled queries",
        ]),
    ]),
    S("Cart", area="cart", cases=[
        "Cart icon badge shows the total quantity of items",
        "Guest cart contents persist across browser restarts",
        "Cart page shows subtotal, shipping estimate and total",
    ], children=[
        S("Add to cart", cases=[
            "Add a single in-stock product to the cart from the product page",
            "Add to cart is disabled until a required variant is selected",
            "Adding the same variant twice increases the quantity",
            "Quantity added to the cart cannot exceed available stock",
            "Add to cart from the listing quick view updates the mini cart",
            "Maximum of 10 units per product is enforced with a message",
            "Add a product bundle and see each component in the cart",
            "Add to cart works with JavaScript disabled (form fallback)",
        ]),
        S("Coupons & promotions", cases=[
            "Apply a valid percentage coupon code to the cart",
            "Expired coupon code is rejected with a clear message",
            "Coupon with a minimum order value only applies above the threshold",
            "Only one coupon code can be applied to an order at a time",
            "Buy-two-get-one-free promotion discounts the cheapest item",
            "Free shipping promotion removes the shipping fee at checkout",
            "Coupon codes are accepted regardless of letter case",
            "Removing the qualifying item removes the promotion discount",
            "Single-use coupon cannot be reused on a second order",
            "Explore stacking rules for coupons and automatic promotions",
        ]),
        S("Mini cart", "Flyout in the header. Cases moved to Add to cart in 2025.1."),
    ]),
    S("Checkout", "From the cart to the order confirmation.", area="checkout", cases=[
        "Checkout button is disabled when the cart is empty",
        "Checkout progress indicator highlights the current step",
        "Explore checkout on a slow and flaky mobile network",
    ], children=[
        S("Shipping", children=[
            S("Address validation", cases=[
                "Checkout rejects a postcode that does not match the country",
                "Address suggestions appear for a partial street address",
                "PO box addresses are rejected for courier delivery",
                "Saved default address is pre-selected for signed-in customers",
                "Billing address can differ from the shipping address",
                "Shipping to an unsupported country shows an error early",
            ]),
            S("Delivery options", cases=[
                "Standard, express and next-day options show correct prices",
                "Next-day delivery is hidden after the 2 pm cut-off time",
                "Click & collect lists stores with stock near the postcode",
                "Free standard delivery applies to orders over 50 EUR",
                "Changing the delivery option updates the order total",
            ]),
        ]),
        S("Payment", "Payment step and provider integrations.", cases=[
            "Payment step lists only methods enabled for the shipping country",
        ], children=[
            S("Card payments", "Via the PSP's hosted fields.", cases=[
                "Pay with a Visa credit card and complete the order",
                "Pay with a Mastercard debit card and complete the order",
                "Pay with an American Express card and complete the order",
                "Pay with a Maestro card in EUR and complete the order",
                "Declined card shows an error and keeps the cart intact",
                "Card with insufficient funds is declined with a retry option",
                "Expired card is rejected before the payment is submitted",
                "Invalid card number fails the Luhn check inline",
                "CVC field accepts four digits for American Express only",
                "Card number field groups digits in fours while typing",
                "Card payment in GBP charges the converted amount",
                "Payment provider timeout shows a retry message, no double charge",
                "Double-clicking Place order submits only one payment",
                "Card holder name accepts letters with accents and hyphens",
                "Card data is entered in the provider's iframe, not our DOM",
                "Failed payment can be retried with a different card",
            ], children=[
                S("3-D Secure", "EMV 3DS 2.2 challenge and frictionless flows.", cases=[
                    "3-D Secure challenge succeeds and the order is placed",
                    "3-D Secure challenge failure declines the payment",
                    "Abandoning the 3-D Secure window returns to the payment step",
                    "Frictionless 3-D Secure flow completes without a challenge",
                    "3-D Secure challenge times out after 10 minutes",
                    "3-D Secure works on mobile browsers in the embedded iframe",
                ]),
                S("Saved cards", cases=[
                    "Save a card during checkout for future purchases",
                    "Pay with a saved card by entering only the CVC",
                    "Delete a saved card from the account wallet",
                    "Expired saved card is flagged and cannot be selected",
                ]),
            ]),
            S("PayPal", cases=[
                "Pay with PayPal and return to the confirmation page",
                "Cancelling in the PayPal window returns to the payment step",
                "PayPal Pay Later option is shown for orders above 99 EUR",
                "PayPal payment uses the shipping address from checkout",
            ]),
            S("Gift cards", cases=[
                "Pay part of an order with a gift card and the rest by card",
                "Gift card balance check shows the remaining amount",
                "Gift card cannot be used to buy another gift card",
            ]),
        ]),
        S("Order confirmation", cases=[
            "Confirmation page shows the order number and delivery estimate",
            "Order confirmation email is sent within two minutes",
            "Guest can create an account from the confirmation page",
            "Refreshing the confirmation page does not create a new order",
            LONG_TITLE,
        ]),
    ]),
    S("Orders & returns", area="orders", children=[
        S("Order history", cases=[
            "Order history lists orders newest first with their status",
            "Order detail shows items, totals and the tracking link",
            "Reorder button adds all available items back to the cart",
            "Download the invoice PDF for a delivered order",
        ]),
        S("Returns", cases=[
            "Start a return for one item of a delivered order",
            "Return is not offered after the 30-day return window",
            "Printable return label is generated for the chosen carrier",
            "Final-sale items cannot be selected for a return",
            "Return status changes to Received when the warehouse scans it",
            "Explore edge cases in partial returns and exchanges",
        ], children=[
            S("Refunds", cases=[
                "Refund is issued to the original card within five days",
                "Partial refund for one item recalculates the promotion discount",
                "Refund to a gift card creates a new gift card code",
                "Refund confirmation email lists the refunded items",
            ]),
        ]),
    ]),
    S("Localisation", "German, French and Japanese storefronts.", area="l10n", cases=[
        "Product names with accents (Crème brûlée, Müsli) render correctly",
        "Search for 日本語 keywords returns products with Japanese titles",
        "Order note with an emoji 🎁 is saved and shown on the confirmation",
        "Prices use de-DE formatting (1.234,56 €) in the German storefront",
        "Switching the language to Français keeps the cart contents",
        "Checkout accepts street names with ß and umlauts (Müllerstraße)",
        "Delivery date is shown as 24.12.2025 in the German storefront",
        "Explore the Japanese (日本語) storefront end to end",
    ]),
    S("Accessibility", "WCAG 2.1 AA.", area="a11y", cases=[
        "All storefront pages pass automated axe checks with no violations",
        "Checkout can be completed using only the keyboard",
        "Focus is trapped inside modal dialogs and restored on close",
        "Product images have meaningful alternative text",
        "Colour contrast of buttons meets WCAG 2.1 AA (4.5:1)",
        "Screen reader announces cart updates through a live region",
        "Explore the storefront with NVDA and VoiceOver screen readers",
    ]),
    S("Deprecated (do not use)", "Old flows kept for reference; delete after 2025.2.",
      area="catalog"),
]

IOS_TREE = [
    S("Onboarding", area="m_onboarding", cases=[
        "App launches to the onboarding carousel on a fresh install",
    ], children=[
        S("First launch", cases=[
            "Onboarding carousel can be skipped from the first slide",
            "Completed onboarding is remembered after the app is killed",
            "Onboarding adapts to Dynamic Type at the largest text size",
            "First launch in dark mode uses the dark onboarding artwork",
            "Onboarding is shown again after reinstalling the app",
        ]),
        S("Permissions", "Primers shown before each system prompt.", cases=[
            "Permission primer explains why each permission is needed",
            "Denied permissions can be re-enabled via a link to Settings",
        ], children=[
            S("Push notification prompt", cases=[
                "System push prompt appears only after the primer is accepted",
                "Declining push permission does not block the onboarding flow",
                "Provisional authorization delivers quietly to Notification Center",
            ]),
            S("Location access", cases=[
                "Allow Once location grants access for the current session only",
                "Precise location turned off still returns the nearest store",
                "App works with location denied and asks for a postcode instead",
            ]),
        ]),
    ]),
    S("Authentication", area="m_auth", cases=[
        "Sign in with email and password on iOS",
        "Sign out clears the keychain tokens and cached data",
    ], children=[
        S("Sign in with Apple", cases=[
            "Sign in with Apple creates an account on first use",
            "Sign in with Apple with Hide My Email uses the relay address",
            "Revoking Apple ID access in Settings signs the user out",
            "Sign in with Apple button follows Apple's style guidelines",
        ]),
        S("Biometric login", cases=[
            "Biometric login is offered after the first password sign-in",
        ], children=[
            S("Face ID", cases=[
                "Unlock the app with Face ID after returning from background",
                "Face ID failure falls back to the device passcode",
                "Face ID usage description string is shown on first use",
                "Disabling Face ID in the app removes the stored credential",
            ]),
            S("Touch ID", "iPhone SE (3rd generation) only.", cases=[
                "Unlock the app with Touch ID on iPhone SE",
                "Touch ID lockout after five failures requires the password",
            ]),
        ]),
    ]),
    S("Sync", area="m_sync", cases=[
        "Pull to refresh triggers a sync and updates the timestamp",
    ], children=[
        S("Offline mode", cases=[
            "Cached lists are readable when the device is in airplane mode",
            "Edits made offline are queued and synced when back online",
            "Offline banner appears within two seconds of losing network",
            "Attachments added offline upload after reconnecting to Wi-Fi",
            "Queued changes survive an app restart while offline",
        ], children=[
            S("Conflict resolution", cases=[
                "Conflicting edits on two devices show the conflict dialog",
                "Keep mine overwrites the server version after a conflict",
                "Keep theirs discards the local change after a conflict",
                "Item deleted on the server but edited offline is restored as a copy",
            ]),
        ]),
    ]),
    S("Notifications", area="m_notif", children=[
        S("Push", "APNs, production and sandbox.", cases=[
            "Push notification opens the related screen when tapped",
            "Push notification with emoji 🔔 renders on the lock screen",
            "Notification badge count matches unread items after sync",
            "Silent push triggers a background refresh without an alert",
            "Push notifications are grouped by thread in Notification Center",
            "Notification action Mark as read works without opening the app",
        ]),
        S("In-app", cases=[
            "In-app banner appears for new messages while the app is open",
            "In-app banner can be dismissed by swiping up",
            "Notification settings screen toggles each category",
        ]),
    ]),
    S("Widgets", "Home screen widgets ship in 4.2.", area="m_device"),
]

ANDROID_TREE = [
    S("Onboarding", area="m_onboarding", cases=[
        "App launches to the onboarding carousel on a fresh install",
    ], children=[
        S("First launch", cases=[
            "Onboarding supports the system back gesture between slides",
            "Onboarding respects the system font scale of 200%",
            "Completed onboarding survives process death",
            "Onboarding is skipped after restoring from a cloud backup",
        ]),
        S("Runtime permissions", cases=[
            "POST_NOTIFICATIONS permission is requested on Android 13 and later",
            "Location permission rationale is shown after the first denial",
            "Don't ask again for location leads to an app settings deep link",
            "Approximate location still finds the nearest store",
            "Camera permission is requested only when scanning a barcode",
        ]),
    ]),
    S("Authentication", area="m_auth", cases=[
        "Sign in with email and password on Android",
    ], children=[
        S("Google Sign-In", cases=[
            "Google Sign-In with one account on the device signs in directly",
            "Google Sign-In account picker lists all device accounts",
            "Cancelling the Google account picker returns to the login screen",
            "Credential Manager passkey sign-in works on Android 14",
        ]),
        S("Fingerprint", cases=[
            "Unlock the app with a fingerprint via BiometricPrompt",
            "Fingerprint failure falls back to the device PIN",
            "Enrolling a new fingerprint invalidates the stored key",
            "Biometric option is hidden on devices without a sensor",
        ]),
    ]),
    S("Sync", area="m_sync", children=[
        S("Background sync", cases=[
            "Periodic sync runs every 15 minutes while charging on Wi-Fi",
            "Sync is deferred on metered connections when the setting is on",
            "Manual sync from the menu shows progress in a notification",
        ], children=[
            S("WorkManager jobs", cases=[
                "Sync worker retries with exponential backoff after a 503",
                "Only one sync worker runs at a time (unique work policy)",
                "Sync worker is rescheduled after a device reboot",
                "Cancelled sync worker leaves no partial data in the database",
            ], children=[
                S("Doze mode", "Test on a Pixel 8 with adb shell dumpsys deviceidle.", cases=[
                    "Sync resumes in the maintenance window during Doze mode",
                    "High-priority FCM message wakes the app in Doze mode",
                    "App in the 'rare' standby bucket still syncs once a day",
                ]),
            ]),
        ]),
        S("Offline mode", cases=[
            "Cached lists are readable when the device is in airplane mode",
            "Edits made offline are queued and synced when back online",
            "Offline snackbar appears within two seconds of losing network",
            "Queued changes survive a force stop while offline",
            "Switching from Wi-Fi to mobile data mid-sync completes the sync",
        ]),
    ]),
    S("Notifications", area="m_notif", children=[
        S("FCM push", cases=[
            "FCM push notification opens the related screen when tapped",
            "FCM token is refreshed and re-registered after an app update",
            "Data-only FCM message updates the badge without a notification",
            "Notification with a large image uses the expanded style",
            "Push with emoji ✅ and accents (café, naïve) renders correctly",
        ]),
        S("Notification channels", cases=[
            "App creates Orders, Messages and Promotions channels",
            "Muting the Promotions channel stops promotional pushes",
            "Channel importance changes are respected after an app restart",
        ]),
    ]),
    S("Device compatibility", area="m_device", cases=[
        "App runs on the minimum supported version (Android 10)",
        "Layout adapts to split-screen multi-window mode",
        "App works with the system language set to 日本語",
    ], children=[
        S("Tablets & foldables", "Planned for 4.2."),
    ]),
]

API_TREE = [
    S("Auth", "OAuth 2.0 token endpoints.", area="api_auth", children=[
        S("Tokens", cases=[
            "POST /auth/token returns an access token and a refresh token",
            "Access token expires after 15 minutes and then returns 401",
            "Token signed with an unknown key is rejected with 401",
            "Token of a deactivated user is rejected on the next request",
            "Tokens issued to the mobile client carry the expected scopes",
        ], children=[
            S("Refresh tokens", cases=[
                "Refresh token rotation issues a new refresh token each time",
                "Reusing an old refresh token revokes the whole token family",
                "Refresh token expires after 30 days of inactivity",
                "Logout endpoint revokes the refresh token immediately",
            ]),
        ]),
        S("Rate limiting", cases=[
            "More than 100 requests per minute returns 429 with Retry-After",
            "Rate limits are applied per user, not per IP address",
            "Health endpoints are exempt from rate limiting",
        ]),
    ]),
    S("Sync API", area="api_sync", cases=[
        "GET /sync without a cursor returns a full snapshot",
    ], children=[
        S("Delta sync", "Cursor-based; see ADR-017.", cases=[
            "GET /sync with a cursor returns only changes since that cursor",
            "Delta sync returns deleted items as tombstones",
            "Delta sync with an expired cursor returns 410 Gone",
            "Delta sync pages at 500 changes and returns a next cursor",
            "Delta sync excludes changes made by the requesting device",
            "Delta sync response is gzip-compressed when requested",
            "Delta sync handles items moved between lists",
            "Delta sync after a schema migration returns a full-resync flag",
            "Empty delta returns 200 with an unchanged cursor",
            "Cursor belonging to another user is rejected with 403",
            "Delta sync keeps a stable order for items with equal timestamps",
            "Large delta of 50,000 changes completes within 10 seconds",
            "Delta sync returns UTF-8 titles with emoji 🚀 and 日本語 intact",
            "Malformed cursor returns 400 with an error message",
            "Concurrent requests with the same cursor return the same data",
        ]),
        S("Conflict handling", cases=[
            "PUT with a stale ETag returns 409 and the server version",
            "PUT with If-Match matching the current ETag succeeds",
            "Server merges non-overlapping field changes automatically",
            "Conflict response includes both versions and a merge hint",
        ]),
    ]),
    S("Push gateway", area="api_push", cases=[
        "Gateway routes iOS tokens to APNs and Android tokens to FCM",
        "Invalid device tokens are pruned after APNs returns 410",
        "Push payloads larger than 4 KB are rejected before sending",
    ]),
    S("Health checks", area="api_health", cases=[
        "GET /health returns 200 with the build version and commit",
        "GET /health/ready returns 503 when the database is down",
        "Health check responds within 50 ms under normal load",
    ]),
]

SUITE_TREES = {1: SHOP_TREE, 2: IOS_TREE, 3: ANDROID_TREE, 4: API_TREE}

# --------------------------------------------------------------------------------------------
# Content pools per area: preconditions, (step, expected) sequences, spec pages, components.
# --------------------------------------------------------------------------------------------

AREAS = {
    "account": {
        "pre": ["A registered customer account `qa+{n}@example.com` exists.",
                "The customer is signed out and all cookies are cleared.",
                "Email delivery is routed to the **Mailpit** test inbox."],
        "steps": [("Open the storefront home page", "The home page loads without errors"),
                  ("Click **Sign in** in the header", "The sign-in form is shown"),
                  ("Enter the test account's email and password", "Both fields accept input"),
                  ("Submit the form", "The request completes within 2 seconds"),
                  ("Open **My account**", "The account overview shows the customer's data"),
                  ("Sign out from the account menu", "The header shows *Sign in* again")],
        "spec": "Account", "component": 4, "auto": "web/account",
    },
    "catalog": {
        "pre": ["The catalogue is loaded from the `catalog-small` fixture.",
                "At least one category contains more than 24 products.",
                "Product images are served from the staging CDN."],
        "steps": [("Open the *Shoes* category", "The listing shows product tiles"),
                  ("Apply the filters under test", "The result count updates"),
                  ("Open the first product", "The product detail page loads"),
                  ("Select a size and a colour", "Price and availability update"),
                  ("Go back to the listing", "Scroll position and filters are kept")],
        "spec": "Catalog", "component": 3, "auto": "web/catalog",
    },
    "search": {
        "pre": ["The search index was rebuilt after loading the fixtures.",
                "Synonym list `synonyms-en.txt` is deployed."],
        "steps": [("Focus the search box in the header", "The search box is focused"),
                  ("Type the query under test", "Suggestions appear below the box"),
                  ("Press Enter", "The search results page opens"),
                  ("Inspect the first ten results", "Results match the query"),
                  ("Change the sort order to *Price: low to high*", "Results are re-ordered")],
        "spec": "Search", "component": 3, "auto": "web/search",
    },
    "cart": {
        "pre": ["The cart is empty.",
                "Product `SKU-10042` has 5 units in stock.",
                "Coupon `SUMMER25` (25 %, min. 40 EUR) is active."],
        "steps": [("Open the product page of `SKU-10042`", "The product page is shown"),
                  ("Click **Add to cart**", "The mini cart opens with the product"),
                  ("Open the cart page", "The cart lists the product with quantity 1"),
                  ("Change the quantity to 3", "Subtotal and total are recalculated"),
                  ("Enter the coupon code and click **Apply**", "The discount line appears"),
                  ("Remove the product", "The cart shows the empty state")],
        "spec": "Cart", "component": 1, "auto": "web/cart",
    },
    "checkout": {
        "pre": ["The cart contains two in-stock products (total 84.90 EUR).",
                "The payment provider sandbox is reachable.",
                "Test cards from the PSP sandbox list are available."],
        "steps": [("Open the cart and click **Checkout**", "The shipping step is shown"),
                  ("Enter a valid German shipping address", "The address is accepted"),
                  ("Choose *Standard delivery*", "Shipping costs are added to the total"),
                  ("Continue to the payment step", "Available payment methods are listed"),
                  ("Enter the test card details and click **Place order**",
                   "The payment is authorised"),
                  ("Wait for the redirect", "The confirmation page shows an order number")],
        "spec": "Checkout", "component": 2, "auto": "web/checkout",
    },
    "orders": {
        "pre": ["The customer has three delivered orders and one open order.",
                "The warehouse simulator is running."],
        "steps": [("Sign in and open **My orders**", "Orders are listed newest first"),
                  ("Open the delivered order", "The order detail page is shown"),
                  ("Click **Return items**", "Returnable items can be selected"),
                  ("Select one item and a return reason", "The refund preview is shown"),
                  ("Submit the return", "A return number and label are shown")],
        "spec": "Orders", "component": 4, "auto": "web/orders",
    },
    "l10n": {
        "pre": ["The storefront runs with locales de-DE, fr-FR and ja-JP enabled.",
                "Browser language is set to the locale under test."],
        "steps": [("Open the storefront with the locale under test", "Texts are translated"),
                  ("Open a product with non-ASCII characters in its name",
                   "The name renders without mojibake (e.g. *Crème brûlée*)"),
                  ("Add it to the cart and open checkout", "Prices use the locale format"),
                  ("Enter an address with special characters (Müllerstraße 12)",
                   "The address is saved unchanged")],
        "spec": "Localisation", "component": None, "auto": "web/l10n",
    },
    "a11y": {
        "pre": ["Screen reader (NVDA 2024.4 or VoiceOver) is running.",
                "Browser zoom is set to 200 %."],
        "steps": [("Navigate to the page under test using Tab only", "Focus order is logical"),
                  ("Activate the main call to action with Enter", "The action is performed"),
                  ("Listen to the screen reader output", "All controls have accessible names"),
                  ("Run the axe browser extension", "No serious or critical violations")],
        "spec": "Accessibility", "component": None, "auto": "web/a11y",
    },
    "m_onboarding": {
        "pre": ["The app is freshly installed (no previous data).",
                "The device language is English."],
        "steps": [("Launch the app", "The splash screen is followed by onboarding"),
                  ("Swipe through the onboarding slides", "Each slide shows its artwork"),
                  ("Tap **Continue** on the permission primer", "The system prompt is shown"),
                  ("Respond to the system prompt", "The app continues to the home screen"),
                  ("Kill and relaunch the app", "Onboarding is not shown again")],
        "spec": "Onboarding", "component": 1, "auto": "mobile/onboarding",
    },
    "m_auth": {
        "pre": ["Test account `mobile.qa@example.com` exists.",
                "A biometric identity is enrolled on the device."],
        "steps": [("Launch the app and tap **Sign in**", "The sign-in screen is shown"),
                  ("Enter the test account credentials", "The fields accept input"),
                  ("Tap **Sign in**", "The home screen is shown"),
                  ("Send the app to the background for 5 minutes", "The app locks"),
                  ("Return to the app and authenticate", "The app unlocks")],
        "spec": "Mobile+Authentication", "component": None, "auto": "mobile/auth",
    },
    "m_sync": {
        "pre": ["The test account has 120 items in three lists.",
                "A second device is signed in to the same account."],
        "steps": [("Open the *Groceries* list", "Items are shown from the cache"),
                  ("Enable airplane mode", "The offline indicator appears"),
                  ("Edit two items and add one", "Changes are shown as pending"),
                  ("Disable airplane mode", "Pending changes are uploaded"),
                  ("Check the list on the second device", "All three changes are visible")],
        "spec": "Sync", "component": 2, "auto": "mobile/sync",
    },
    "m_notif": {
        "pre": ["Push notifications are allowed for the app.",
                "The push test console is open for the test account."],
        "steps": [("Send a test notification from the console", "It arrives within 5 s"),
                  ("Tap the notification", "The app opens the related screen"),
                  ("Mark the item as read", "The badge count decreases"),
                  ("Lock the device and send another notification",
                   "It is shown on the lock screen")],
        "spec": "Notifications", "component": 3, "auto": "mobile/notifications",
    },
    "m_device": {
        "pre": ["Devices from the compatibility matrix are available in the device lab."],
        "steps": [("Install the release candidate build", "Installation succeeds"),
                  ("Run the smoke checklist", "All checklist items pass"),
                  ("Rotate the device and resize the window", "Layout adapts without clipping")],
        "spec": "Devices", "component": None, "auto": "mobile/device",
    },
    "api_auth": {
        "pre": ["The API runs on staging with the `auth-fixtures` seed.",
                "Client credentials for `mobile-app` are configured in the test vault."],
        "steps": [("POST `/auth/token` with valid credentials", "200 with access_token"),
                  ("Call `GET /me` with the access token", "200 with the user's profile"),
                  ("Wait until the token expires or revoke it", "The token is no longer valid"),
                  ("Call `GET /me` again", "401 with `WWW-Authenticate: Bearer`")],
        "spec": "API+Auth", "component": None, "auto": "api/auth",
    },
    "api_sync": {
        "pre": ["The test account has a known change history (fixture `sync-history-v2`).",
                "The cursor signing key is the staging key."],
        "steps": [("Call `GET /sync` without a cursor", "200 with items and a cursor"),
                  ("Change two items through `PUT /items/{id}`", "Both calls return 200"),
                  ("Call `GET /sync?cursor=<cursor>`", "Only the two changed items return"),
                  ("Repeat the call with the new cursor", "The delta is empty")],
        "spec": "API+Sync", "component": 2, "auto": "api/sync",
    },
    "api_push": {
        "pre": ["APNs sandbox and FCM test project credentials are configured."],
        "steps": [("Register an iOS and an Android device token", "Both return 201"),
                  ("POST a notification to `/push/send`", "202 Accepted"),
                  ("Check the gateway log", "One APNs and one FCM delivery are logged")],
        "spec": "API+Push", "component": 3, "auto": "api/push",
    },
    "api_health": {
        "pre": ["The API is deployed to staging."],
        "steps": [("Call `GET /health`", "200 with JSON body"),
                  ("Call `GET /health/ready`", "200 when all dependencies are up"),
                  ("Stop the database container and call `/health/ready` again", "503")],
        "spec": "API+Health", "component": None, "auto": "api/health",
    },
}

STEP_NOTES = ["Use PSP test card 4000 0027 6000 3184.", "Takes about a minute on staging.",
              "See the screenshot attached to the linked ticket.",
              "Run on both the phone and the tablet layout."]

GOALS = ["Find crashes or error pages", "Check that error messages are helpful",
         "Look for layout issues on small screens", "Note anything slower than 2 seconds",
         "Try unusual but valid input (very long, non-ASCII, emoji)",
         "Compare behaviour with the previous release"]

ESTIMATES = ["30s", "45s", "1m", "1m 30s", "1m 45s", "2m", "3m", "5m", "8m 40s", "10m",
             "15m", "30m", "1h", "1h 30m", "2h 5m", "4h", "1d"]

BASE_TYPES = [(6, 45), (9, 15), (3, 10), (11, 6), (7, 5), (1, 5), (12, 4), (10, 3), (8, 3),
              (4, 2), (5, 2)]
AREA_TYPES = {
    "a11y": [(2, 10), (12, 1)],
    "l10n": [(6, 4), (12, 2), (4, 2)],
    "m_device": [(4, 6), (11, 1)],
    "api_health": [(11, 4), (8, 1)],
}
SECURITY_SECTIONS = {"Two-factor authentication", "3-D Secure", "Refresh tokens",
                     "Rate limiting", "Tokens", "Password reset"}

# --------------------------------------------------------------------------------------------
# Build sections
# --------------------------------------------------------------------------------------------

SECTIONS = []        # output objects, in id (creation) order
SECTION_META = {}    # id -> {"area", "cases", "suite_id", "name", "path"}


def build_sections():
    next_id = 1
    for suite_id in sorted(SUITE_TREES):
        roots = SUITE_TREES[suite_id]
        # Creation order is breadth-first (a team creates the top level first, then fills it in),
        # so ids ascend in creation order while display_order follows the depth-first tree.
        queue = [(node, None, 0, None) for node in roots]
        created = []  # (id, node, parent_id, depth, area)
        ids = {}
        while queue:
            node, parent_id, depth, area = queue.pop(0)
            area = node["area"] or area
            sid = next_id
            next_id += 1
            ids[id(node)] = sid
            created.append((sid, node, parent_id, depth, area))
            queue.extend((c, sid, depth + 1, area) for c in node["children"])
        # Display order: pre-order walk over the whole suite, 1-based, contiguous.
        order = {}

        def walk(nodes):
            for n in nodes:
                order[ids[id(n)]] = len(order) + 1
                walk(n["children"])

        walk(roots)
        for sid, node, parent_id, depth, area in created:
            SECTIONS.append({
                "id": sid, "suite_id": suite_id, "name": node["name"],
                "description": node["description"], "parent_id": parent_id,
                "display_order": order[sid], "depth": depth,
            })
            SECTION_META[sid] = {"area": area, "cases": node["cases"], "suite_id": suite_id,
                                 "name": node["name"]}


build_sections()

# --------------------------------------------------------------------------------------------
# Build cases
# --------------------------------------------------------------------------------------------

PREFIX = {1: "SHOP", 2: "MOB", 3: "MOB", 4: "API"}


def slug(text, n=48):
    out = []
    for ch in text.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "_":
            out.append("_")
    s = "".join(out).strip("_")
    if len(s) > n:
        s = s[:n + 1].rsplit("_", 1)[0]  # cut at a word boundary
    return s


def pick_steps(area):
    pool = AREAS[area]["steps"]
    k = rng.randint(2, min(4, len(pool)))
    start = 0 if rng.random() < 0.5 else rng.randint(0, len(pool) - k)
    return pool[start:start + k]


def text_steps(steps):
    return "\n".join("%d. %s" % (i + 1, c) for i, (c, _) in enumerate(steps))


def text_expected(steps):
    if len(steps) <= 2 or rng.random() < 0.5:
        return steps[-1][1]
    return "\n".join("- %s" % e for _, e in steps[1:])


def refs_for(suite_id):
    if rng.random() < 0.55:
        return None
    n = weighted([(1, 6), (2, 3), (3, 1)])
    nums = sorted(set(rng.randint(12, 1480) for _ in range(n)))
    return ", ".join("%s-%d" % (PREFIX[suite_id], x) for x in nums)


def build_cases():
    # Collect (section_id, title) in creation order: sections in id order, titles in list order.
    slots = []
    for sid in sorted(SECTION_META):
        for title in SECTION_META[sid]["cases"]:
            slots.append((sid, title))
    # Creation timestamps ascend with the case id.
    created = sorted(rng.randint(TS_MIN, TS_MAX - 86400 * 20) for _ in slots)

    # display_order: creation order within a section, except a few sections that were re-sorted
    # by drag and drop afterwards.
    per_section = {}
    for idx, (sid, _) in enumerate(slots):
        per_section.setdefault(sid, []).append(idx)
    display = {}
    for sid in sorted(per_section):
        idxs = per_section[sid]
        positions = list(range(1, len(idxs) + 1))
        if len(idxs) >= 4 and rng.random() < 0.25:
            rng.shuffle(positions)
        for idx, pos in zip(idxs, positions):
            display[idx] = pos

    shared_step_used = False
    cases = []
    for idx, (sid, title) in enumerate(slots):
        case_id = idx + 1
        meta = SECTION_META[sid]
        suite_id = meta["suite_id"]
        project_id = SUITE_PROJECT[suite_id]
        area = meta["area"]
        ad = AREAS[area]

        if title.startswith("Explore "):
            assert project_id == 1
            template_id = 3
        else:
            template_id = weighted([(1, 45), (2, 55)])

        types = AREA_TYPES.get(area, BASE_TYPES)
        if meta["name"] in SECURITY_SECTIONS:
            types = [(10, 5), (6, 3), (9, 1)]
        type_id = weighted(types)
        if template_id == 3:
            type_id = 7
        priority_id = weighted([(1, 10), (2, 50), (3, 28), (4, 12)])
        if meta["name"] in ("Card payments", "3-D Secure", "Login", "Tokens"):
            priority_id = max(priority_id, 3)

        milestone_id = None
        if rng.random() < 0.18:
            milestone_id = rng.choice(PROJECT_MILESTONES[project_id])

        created_on = created[idx]
        if rng.random() < 0.3:
            updated_on = created_on
        else:
            updated_on = min(TS_MAX - 3600, created_on + rng.randint(60, 86400 * 120))
        created_by = weighted([(1, 3), (2, 4), (3, 3), (4, 2)])
        updated_by = created_by if updated_on == created_on else rng.choice(ACTIVE_USERS)
        estimate = rng.choice(ESTIMATES) if rng.random() < 0.5 else None

        case = {
            "id": case_id, "title": title, "section_id": sid, "suite_id": suite_id,
            "template_id": template_id, "type_id": type_id, "priority_id": priority_id,
            "milestone_id": milestone_id, "refs": refs_for(suite_id),
            "created_by": created_by, "created_on": created_on,
            "updated_by": updated_by, "updated_on": updated_on,
            "estimate": estimate, "estimate_forecast": None,
            "display_order": display[idx], "is_deleted": 0, "labels": [],
        }

        steps = pick_steps(area)
        automated = template_id != 3 and (type_id == 3 or rng.random() < 0.2)
        for field, cfg in applicable_fields(project_id, template_id):
            name = field["name"]
            req = cfg["options"]["is_required"]
            v = None
            if name == "preconds":
                if rng.random() < 0.7:
                    v = rng.choice(ad["pre"]).replace("{n}", str(rng.randint(1, 40)))
            elif name == "steps":
                if template_id == 1 and rng.random() < 0.92:
                    v = text_steps(steps)
            elif name == "expected":
                if template_id == 1 and rng.random() < 0.9:
                    v = text_expected(steps)
            elif name == "steps_separated":
                v = []
                for c, e in steps:
                    info = rng.choice(STEP_NOTES) if rng.random() < 0.08 else ""
                    v.append({"content": c, "expected": e, "additional_info": info,
                              "refs": ""})
                if not shared_step_used and area == "checkout" and len(v) >= 2:
                    # One case starts with shared step 1 ("Sign in as the test customer").
                    shared = {"shared_step_id": 1, "content": "Sign in as the test customer",
                              "expected": "The account overview is shown"}
                    v = [shared] + v[:3]
                    shared_step_used = True
            elif name == "mission":
                v = ("%s. Spend the time box on the riskiest paths first and write down "
                     "anything surprising as a new case." % title)
            elif name == "goals":
                v = "\n".join("- " + g for g in rng.sample(GOALS, 3))
            elif name == "automation_type":
                if automated:
                    v = rng.choice([1, 2, 3]) if project_id == 1 else rng.choice([1, 3])
                elif rng.random() < 0.75:
                    v = 0
            elif name == "automation_id":
                if automated and case.get("custom_automation_type"):
                    v = "%s/test_%s" % (ad["auto"], slug(title))
            elif name == "component":
                comp = ad["component"]
                if comp is None:
                    comp = rng.choice(item_ids(cfg)) if req or rng.random() < 0.3 else None
                elif not req and rng.random() < 0.1:
                    comp = None
                v = comp
            elif name == "story_points":
                if rng.random() < 0.65:
                    v = rng.choice([1, 2, 3, 5, 8, 13])
            elif name == "spec_url":
                if rng.random() < 0.4:
                    v = "https://wiki.example.com/display/%s/%s" % (
                        "SHOP" if project_id == 1 else "MOB", ad["spec"])
            elif name == "is_flaky":
                r = rng.random()
                v = None if r < 0.2 else (True if (automated and r > 0.85) else False)
            elif name == "reviewer":
                if rng.random() < 0.55:
                    v = rng.choice(ACTIVE_USERS)
            elif name == "last_verified":
                if rng.random() < 0.5:
                    v = mdy(rng.randint(updated_on, TS_MAX - 1))
            elif name == "target_milestone":
                if rng.random() < 0.35:
                    v = rng.choice(PROJECT_MILESTONES[project_id])
            elif name == "platforms":
                ids_ = item_ids(cfg)
                if suite_id == 2:
                    pool = [i for i in ids_ if i in (1, 2)]
                elif suite_id == 3:
                    pool = [i for i in ids_ if i in (3, 4)]
                else:
                    pool = ids_
                v = sorted(rng.sample(pool, rng.randint(1, len(pool))))
            else:
                raise AssertionError("no generator for field " + name)
            if req and v is None:
                raise AssertionError("required field %s left unset" % name)
            case[field["system_name"]] = v
        cases.append(case)
    assert shared_step_used
    return cases


CASES = build_cases()


# --------------------------------------------------------------------------------------------
# Statuses, result fields, configurations, runs, tests, results and a plan
# --------------------------------------------------------------------------------------------

# A second generator, so that adding the run side did not change any draw above.
rrng = random.Random(SEED + 1)

STATUSES = [
    {"id": 1, "name": "passed", "label": "Passed", "color_dark": 6667107,
     "color_medium": 9820525, "color_bright": 12709313, "is_system": True,
     "is_untested": False, "is_final": True},
    {"id": 2, "name": "blocked", "label": "Blocked", "color_dark": 9474192,
     "color_medium": 13684944, "color_bright": 14737632, "is_system": True,
     "is_untested": False, "is_final": False},
    {"id": 3, "name": "untested", "label": "Untested", "color_dark": 11579568,
     "color_medium": 15395562, "color_bright": 15790320, "is_system": True,
     "is_untested": True, "is_final": False},
    {"id": 4, "name": "retest", "label": "Retest", "color_dark": 13026868,
     "color_medium": 15593088, "color_bright": 16448182, "is_system": True,
     "is_untested": False, "is_final": False},
    {"id": 5, "name": "failed", "label": "Failed", "color_dark": 14250867,
     "color_medium": 15829135, "color_bright": 16631751, "is_system": True,
     "is_untested": False, "is_final": True},
    # A custom status, as an administrator adds it (the first of TestRail's seven slots).
    {"id": 6, "name": "custom_status1", "label": "Flaky", "color_dark": 10053324,
     "color_medium": 13408716, "color_bright": 15261439, "is_system": False,
     "is_untested": False, "is_final": False},
]

T_STEP_RESULTS = 11
RESULT_FIELDS = [
    {"id": 1, "is_active": True, "type_id": T_STEP_RESULTS, "name": "step_results",
     "system_name": "custom_step_results", "label": "Steps",
     "description": "Step-by-step results of a test.", "display_order": 1,
     "include_all": False, "template_ids": [2],
     "configs": [{"id": "5e1d9c0a2b7f3", "context": {"is_global": True, "project_ids": None},
                  "options": {"is_required": False, "format": "markdown",
                              "has_expected": True, "has_actual": True}}]},
    {"id": 2, "is_active": True, "type_id": 6, "name": "environment",
     "system_name": "custom_environment", "label": "Environment",
     "description": "Where the test ran.", "display_order": 2,
     "include_all": True, "template_ids": [],
     "configs": [{"id": "7a3c2e91d04b8", "context": {"is_global": False, "project_ids": [2]},
                  "options": {"is_required": False, "default_value": "1",
                              "items": "1, Staging\n2, Production"}}]},
    {"id": 3, "is_active": True, "type_id": 1, "name": "build",
     "system_name": "custom_build", "label": "Build",
     "description": "The build that was tested.", "display_order": 3,
     "include_all": True, "template_ids": [],
     "configs": [{"id": "0c5b8e2f6a1d7", "context": {"is_global": True, "project_ids": None},
                  "options": {"is_required": False, "default_value": ""}}]},
]

CONFIG_GROUPS = [
    {"id": 1, "name": "Operating Systems", "project_id": 2,
     "configs": [{"id": 1, "name": "iOS 17", "group_id": 1},
                 {"id": 2, "name": "Android 14", "group_id": 1}]},
    {"id": 2, "name": "Devices", "project_id": 2,
     "configs": [{"id": 3, "name": "Phone", "group_id": 2},
                 {"id": 4, "name": "Tablet", "group_id": 2}]},
]
CONFIG_NAMES = {c["id"]: c["name"] for g in CONFIG_GROUPS for c in g["configs"]}

CASE_BY_ID = {c["id"]: c for c in CASES}
COUNT_KEYS = ["passed_count", "blocked_count", "untested_count", "retest_count",
              "failed_count"] + ["custom_status%d_count" % n for n in range(1, 8)]
TEST_KEYS = ["title", "template_id", "type_id", "priority_id", "estimate",
             "estimate_forecast", "refs", "milestone_id"]

RUNS, TESTS, RESULTS, PLANS = [], [], [], []
next_test = [1]
next_result = [1]


def counts_of(tests):
    by = {k: 0 for k in COUNT_KEYS}
    names = {1: "passed_count", 2: "blocked_count", 3: "untested_count", 4: "retest_count",
             5: "failed_count"}
    for t in tests:
        by[names.get(t["status_id"], "custom_status%d_count" % (t["status_id"] - 5))] += 1
    return by


def make_run(rid, name, suite_id, project_id, case_ids, include_all, created_on, completed_on,
             milestone_id=None, plan=None, configs=()):
    """A run with its tests and results, as TestRail's API returns them."""
    tests = []
    for cid in case_ids:
        c = CASE_BY_ID[cid]
        t = {"id": next_test[0], "case_id": cid, "status_id": 3,
             "assignedto_id": rrng.choice([None, None, 1, 2, 3]), "run_id": rid}
        next_test[0] += 1
        for k in TEST_KEYS:
            t[k] = c.get(k)
        for k, v in c.items():
            if k.startswith("custom_"):
                t[k] = v
        t["labels"] = []
        tests.append(t)
    # Results: most tests get one or two, in time order; the latest with a status wins.
    clock = created_on + 600
    for t in tests:
        for _ in range(weighted([(0, 3), (1, 6), (2, 2)])):
            clock += rrng.randint(30, 900)
            status = weighted([(1, 12), (5, 3), (4, 1), (2, 1), (6, 1), (None, 1)])
            comment = None
            if status == 5:
                comment = rrng.choice([
                    "AssertionError: expected total 59.90, got 59.89",
                    "Timeout after 30s waiting for the payment page",
                    "Element #checkout-submit not clickable"])
            elif status is None:
                comment = "Re-ran on a clean profile; see the attached log."
            r = {"id": next_result[0], "test_id": t["id"], "status_id": status,
                 "created_on": clock, "created_by": rrng.choice([1, 2, 3]),
                 "assignedto_id": None, "comment": comment,
                 "version": "2025.%d.%d" % (rrng.randint(1, 4), rrng.randint(0, 9)),
                 "elapsed": rrng.choice(["15s", "42s", "1m 5s", "2m 30s", None]),
                 "defects": "SHOP-%d" % rrng.randint(1100, 1400) if status == 5 else None,
                 "attachment_ids": []}
            next_result[0] += 1
            RESULTS.append(r)
            if status is not None:
                t["status_id"] = status
    run = {"id": rid, "suite_id": suite_id, "name": name, "description": None,
           "milestone_id": milestone_id, "assignedto_id": None, "include_all": include_all,
           "is_completed": completed_on is not None, "completed_on": completed_on,
           "config": ", ".join(CONFIG_NAMES[c] for c in configs) or None,
           "config_ids": list(configs)}
    run.update(counts_of(tests))
    run.update({"project_id": project_id, "plan_id": plan[0] if plan else None})
    if plan:
        run.update({"entry_index": plan[2], "entry_id": plan[1]})
    run.update({"created_on": created_on, "updated_on": completed_on or created_on,
                "refs": None, "start_on": None, "due_on": None,
                "created_by": 1, "url": url("runs/view", rid)})
    TESTS.extend(tests)
    return run


def suite_cases(suite_id):
    return [c["id"] for c in CASES if c["suite_id"] == suite_id]


def build_runs():
    web = suite_cases(1)
    closed = make_run(1, "Regression 2025.3", 1, 1, sorted(rrng.sample(web, 24)), False,
                      ts(2025, 9, 1), ts(2025, 9, 5, 17, 30), milestone_id=2)
    nightly = make_run(2, "Nightly 2025-12-15", 1, 1, web, True, ts(2025, 12, 15, 2, 0), None)
    RUNS.extend([closed, nightly])
    ios = sorted(rrng.sample(suite_cases(2), 12))
    entry_id = "6b1c2f4e-8d3a-4f5b-9c7e-2a1d0e3f4b5c"
    runs = [make_run(3 + i, "iOS", 2, 2, ios, False, ts(2025, 12, 1, 8, 0), None,
                     plan=(1, entry_id, 1), configs=cfg)
            for i, cfg in enumerate([(1, 3), (1, 4)])]
    entry = {"id": entry_id, "suite_id": 2, "name": "iOS", "refs": None,
             "description": None, "include_all": False, "runs": runs}
    plan = {"id": 1, "name": "Release 3.2", "description": "Mobile release 3.2 sign-off.",
            "milestone_id": None, "assignedto_id": None, "is_completed": False,
            "completed_on": None}
    plan.update(counts_of([t for t in TESTS if t["run_id"] in (3, 4)]))
    plan.update({"project_id": 2, "created_on": ts(2025, 12, 1, 8, 0), "created_by": 1,
                 "refs": None, "start_on": None, "due_on": None, "updated_on": None,
                 "url": url("plans/view", 1), "entries": [entry]})
    PLANS.append(plan)


build_runs()

# --------------------------------------------------------------------------------------------
# Assemble and write
# --------------------------------------------------------------------------------------------


def main():
    assert len(LONG_TITLE) == 250, len(LONG_TITLE)
    suites = [{
        "id": sid, "name": name, "description": desc, "project_id": pid,
        "is_master": master, "is_baseline": False, "is_completed": False,
        "completed_on": None, "url": url("suites/view", sid),
    } for sid, pid, name, desc, master in SUITE_DEFS]
    snapshot = {
        "format": "trailstore-snapshot",
        "version": 1,
        "users": USERS,
        "case_types": CASE_TYPES,
        "priorities": PRIORITIES,
        "case_fields": CASE_FIELDS,
        "projects": {"offset": 0, "limit": 250, "size": len(PROJECTS),
                     "_links": {"next": None, "prev": None}, "projects": PROJECTS},
        "templates": {str(pid): [TEMPLATE_DEFS[t] for t in tids]
                      for pid, tids in sorted(PROJECT_TEMPLATES.items())},
        "suites": suites,
        "sections": SECTIONS,
        "milestones": MILESTONES,
        "cases": CASES,
        "statuses": STATUSES,
        "result_fields": RESULT_FIELDS,
        "configs": CONFIG_GROUPS,
        "runs": RUNS,
        "plans": PLANS,
        "tests": TESTS,
        "results": RESULTS,
    }
    text = json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n"
    with open(OUT, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
