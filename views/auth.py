"""Who the user is: the demo switcher in demo mode, the municipality's identity provider (OIDC) otherwise.

Both end in a person id that the store has checked (bound identity, employed today) or in a Swedish page that
says why not and whom to contact; no page runs for a person the store did not return. Everything a sign-in
claim or a query parameter carries is shown as plain text (st.text / md_escape), never as Markdown.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

import streamlit as st

from course import group
from progress import identity
from progress.access import employed_on
from progress.identity import Claims, Refusal, SignInRefused
from progress.seed import DEMO_USERS
from views.context import Services, t, today

MIN_COOKIE_SECRET = 32
DEFAULT_SESSION_HOURS = 10.0
_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def session_max_seconds() -> float:
    """COURSE_SESSION_MAX_HOURS (hours, decimals allowed); after that the app asks for a new sign-in."""
    raw = os.environ.get("COURSE_SESSION_MAX_HOURS", "").strip()
    try:
        hours = float(raw) if raw else DEFAULT_SESSION_HOURS
    except ValueError:
        hours = DEFAULT_SESSION_HOURS
    return max(hours, 0.0) * 3600


def subject_claim() -> str:
    """The claim that names a person for good: `sub` (OIDC's own), or Entra ID's `oid`."""
    return os.environ.get("COURSE_AUTH_SUBJECT_CLAIM", "").strip() or "sub"


def auth_settings_problems(secrets: Mapping) -> list[str]:
    """What is missing or weak in the `[auth]` secrets, in Swedish; empty when OIDC mode may start."""
    auth = secrets.get("auth") if secrets else None
    if not auth:
        return [t("auth_missing")]
    problems = []
    if not auth.get("redirect_uri"):
        problems.append(t("auth_missing_key", setting="redirect_uri"))
    if len(str(auth.get("cookie_secret") or "")) < MIN_COOKIE_SECRET:
        problems.append(t("auth_weak_cookie_secret", length=MIN_COOKIE_SECRET))
    providers = [value for value in auth.values() if isinstance(value, Mapping)]
    candidates = providers or [auth]
    if len(providers) > 1:
        problems.append(t("auth_one_provider"))
    for key in _PROVIDER_KEYS:
        if not all(candidate.get(key) for candidate in candidates):
            problems.append(t("auth_missing_key", setting=key))
    return problems


def _secrets() -> Mapping:
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except FileNotFoundError:
        return {}


def logout_button(demo: bool) -> None:
    if demo:
        st.sidebar.button(t("logout_button"), key="logout", icon=":material/logout:", on_click=_demo_logout)
    else:
        st.sidebar.button(t("logout_button"), key="logout", icon=":material/logout:", on_click=st.logout)


def _demo_logout() -> None:
    st.query_params.pop("as", None)
    st.session_state.pop("demo_user_select", None)
    st.session_state.pop("current_user", None)


# --- demo --------------------------------------------------------------------------------------------------

def demo_user(org):
    """`?as=<id>` or the switcher in the sidebar decides who the user is (demo mode only): their PersonRecord,
    or None (after saying why, for an id the demo does not know)."""
    ids = [user[0] for user in DEMO_USERS]
    requested = st.query_params.get("as")
    labels = {user_id: f"{name} ({user_id})" for user_id, name, *_ in DEMO_USERS}
    current = requested if requested in ids else None
    chosen = st.sidebar.selectbox(t("demo_switch_user"), ids, index=ids.index(current) if current else None,
                                  format_func=labels.get, key="demo_user_select", placeholder="—")
    if chosen and chosen != requested:
        st.query_params["as"] = chosen
        requested = chosen
    if not requested:
        return None
    person = org.person(requested)
    if person is None and requested not in ids:
        st.warning(t("demo_unknown_user_plain"))
        st.text(requested)  # the parameter as it came: text, never Markdown
    return person


def _group_code_after_login() -> None:
    """A group session's QR link (/gruppovning?kod=...) opened before signing in: the identity provider sends
    the browser back to the start page without the code, so the code is shown to be typed after the sign-in."""
    code = group.normalise(st.query_params.get("kod") or "")
    if group.may_be_code(code):  # anything else in the parameter is not shown at all
        st.info(t("group_login_then_code", page=t("page_group_join"), code=group.format_code(code)))


# --- OIDC --------------------------------------------------------------------------------------------------

def signed_in_person_id(services: Services) -> str | None:
    """The person the identity provider signed in, or None after drawing why not (a sign-in button, an expired
    session, a refusal). Resolved once per browser session and identity; employment is checked on every run."""
    problems = auth_settings_problems(_secrets())
    if problems:
        st.error(t("auth_not_configured"))
        for problem in problems:
            st.markdown(f"- {problem}")
        return None
    if not st.user.is_logged_in:
        st.title(t("app_title"))
        st.info(t("login_needed"))
        _group_code_after_login()
        st.button(t("login_button"), on_click=st.login, type="primary")
        return None
    if _expired():
        st.warning(t("session_expired"))
        st.button(t("login_again_button"), on_click=st.logout, type="primary")  # a new sign-in after this
        return None
    claims = Claims.from_mapping(st.user.to_dict(), subject_claim())
    key = (claims.issuer, claims.subject)
    cached = st.session_state.get("signed_in")
    if cached and cached[0] == key:
        return cached[1]
    try:
        person_id = identity.resolve(services.db, claims, today())
    except SignInRefused as refused:
        identity.log_refusal(services.db, refused, claims)
        refusal_page(services, refused.reason, claims.email)
        logout_button(demo=False)
        return None
    st.session_state["signed_in"] = (key, person_id)
    return person_id


def _expired() -> bool:
    issued = st.user.get("iat") or st.user.get("auth_time")
    if not issued:  # a provider that gives no time: count from this browser session's first sight of the user
        issued = st.session_state.setdefault("signed_in_since", time.time())
    try:
        return time.time() - float(issued) > session_max_seconds()
    except (TypeError, ValueError):
        return True


def refusal_page(services: Services | None, reason: Refusal, email: str = "") -> None:
    """A Swedish page that says why the person cannot get in and whom to contact; shows no course data."""
    st.title(t("app_title"))
    st.error(t(f"signin_refused_{reason.value}"))
    if email:
        st.caption(t("signin_refused_as"))
        st.text(email)
    st.info(t("signin_contact"))
    st.text(_contact(services))


def _contact(services: Services | None) -> str:
    """Whom to ask: `kontaktpersoner.utbildning` in config/organisation.yaml, else the HR contact (chefsstod)."""
    course = services.content.course if services and services.content.ok else None
    people = course.organisation.kontaktpersoner if course and course.organisation else {}
    helper = people.get("utbildning") or people.get("chefsstod")
    return f"{helper.namn} ({helper.roll}, {helper.epost})" if helper else t("signin_contact_fallback")


def refuse_unless_employed(services: Services, person) -> bool:
    """True when `person` may use the course today; otherwise draws the refusal (every page, every run)."""
    if employed_on(person.start_date, person.end_date, today()):
        return True
    refusal_page(services, Refusal.NOT_STARTED if person.start_date > today() else Refusal.ENDED)
    return False
