"""Gränsfall: entry point. Who the user is, and the pages that user's role may see."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from i18n import LANGUAGES
from progress.db import StoreUnavailable
from views import auth
from views.context import NotStarted, language, services, t

# A local icon: a Material icon here makes every browser fetch the favicon from Google's font servers.
st.set_page_config(page_title="Gränsfall", page_icon=str(Path(__file__).parent / "views" / "assets" / "favicon.png"),
                   layout="wide")


def _identify(current) -> object | None:
    """The signed-in (or, in demo mode, chosen) person, employed today; None after drawing why not."""
    org = current.org
    if current.demo:
        person = auth.demo_user(org)
    else:
        if "as" in st.query_params:
            st.warning(t("as_only_in_demo"))
        user_id = auth.signed_in_person_id(current)
        person = org.person(user_id) if user_id else None
    if person is None:
        return None
    if not auth.refuse_unless_employed(current, person):
        auth.logout_button(current.demo)
        return None
    return person


def _content_problems(current) -> None:
    st.error(t("content_problems_title"))
    st.markdown(t("content_problems_intro"))
    st.code("\n".join(problem.as_text() for problem in current.content.problems), language=None)


@st.fragment(run_every="1h")
def _redraw_after_reconnect() -> None:
    """Nothing, once an hour. A browser whose server went away reconnects by itself (behind the load balancer,
    to another server: deploy/), but Streamlit's front end asks the server to run the page again only when the
    page has an auto-rerunning fragment; without one the page stays as it was, and the first click on it merely
    wakes the new session, its callback unrun. With this one, a reconnect redraws the page from the URL and the
    database at once."""


def main() -> None:
    with st.sidebar:
        _redraw_after_reconnect()
    st.sidebar.selectbox(t("language"), list(LANGUAGES), format_func=LANGUAGES.get,
                         index=list(LANGUAGES).index(language()), key="language")
    try:
        current = services()
        if not current.content.ok and current.demo:
            _content_problems(current)  # demo: show everyone why nothing is served
            st.stop()
        user = _identify(current)
    except NotStarted as refused:
        st.error(t("not_started_title"))
        st.text(str(refused))
        st.stop()
    except StoreUnavailable:
        _store_unavailable()
        st.stop()
    if not current.content.ok:
        # Broken content is never served: an admin sees the same list as the lint, everyone else a notice.
        if user is not None and user.is_admin:
            _content_problems(current)
        elif user is not None:
            st.warning(t("content_closed"))
        st.stop()
    if user is None:
        if current.demo:
            st.info(t("demo_banner"), icon=":material/science:")
            st.title(t("app_title"))
            st.caption(t("app_tagline"))
            st.info(t("demo_pick_user"))
        st.stop()
    st.session_state["current_user"] = user
    if current.demo:
        st.info(t("demo_banner"), icon=":material/science:")
    pages = [st.Page("views/learner.py", title=t("page_learner"), icon=":material/school:",
                     url_path="min-utbildning", default=True),
             st.Page("views/my_talk.py", title=t("page_my_talk"), icon=":material/forum:",
                     url_path="infor-medarbetarsamtalet"),
             st.Page("views/privacy.py", title=t("page_privacy"), icon=":material/shield_person:",
                     url_path="om-dina-uppgifter")]
    if user.is_manager:
        pages += [st.Page("views/manager.py", title=t("page_manager"), icon=":material/monitoring:",
                          url_path="min-enhet"),
                  st.Page("views/talk.py", title=t("page_talk"), icon=":material/record_voice_over:",
                          url_path="medarbetarsamtal"),
                  st.Page("views/apt.py", title=t("page_apt"), icon=":material/groups:", url_path="apt")]
    if user.is_admin:
        pages += [st.Page("views/admin.py", title=t("page_admin"), icon=":material/settings:",
                          url_path="administration"),
                  st.Page("views/import_page.py", title=t("page_import"), icon=":material/upload_file:",
                          url_path="import"),
                  st.Page("views/compliance.py", title=t("page_compliance"), icon=":material/analytics:",
                          url_path="analys"),
                  st.Page("views/annual_report.py", title=t("page_annual_report"), icon=":material/summarize:",
                          url_path="arsrapport"),
                  st.Page("views/certificates.py", title=t("page_certificates"), icon=":material/verified:",
                          url_path="intyg"),
                  st.Page("views/audit_log.py", title=t("page_audit_log"), icon=":material/policy:",
                          url_path="granskningslogg"),
                  st.Page("views/privacy_admin.py", title=t("page_privacy_admin"), icon=":material/shield_lock:",
                          url_path="dataskydd"),
                  st.Page("views/scenario_graph.py", title=t("page_scenario_graph"), icon=":material/account_tree:",
                          url_path="scenariograf")]
    st.sidebar.text(f"{user.name} · {user.unit_name}")  # from the HR file: plain text
    auth.logout_button(current.demo)
    try:
        st.navigation(pages).run()
    except StoreUnavailable:  # any page, any read: the Swedish message and a way to try again
        _store_unavailable()


def _store_unavailable() -> None:
    from views.components.pending import note_on_outage_page

    st.error(f"**{t('store_unavailable_title')}** – {t('store_unavailable')}")
    note_on_outage_page(st.session_state.get("current_user"))  # an answer of this session still kept, if any
    st.button(t("store_retry"), key="store_retry", type="primary")  # a click reruns the page


main()
