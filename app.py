"""Gränsfall: entry point. Who the user is, and the pages that user's role may see."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from i18n import LANGUAGES
from progress import facilitators, preferences
from progress.db import StoreUnavailable
from progress.viewer import NotPermitted
from views import auth
from views.components import page_language
from views.context import NotStarted, language, services, t, today

# A local icon: a Material icon here makes every browser fetch the favicon from Google's font servers.
st.set_page_config(page_title="Gränsfall", page_icon=str(Path(__file__).parent / "views" / "assets" / "favicon.png"),
                   layout="wide")


# The pages of each role: (file under views/, translation key of its title, icon, address). The first is the
# default. A page is only in the navigation of a user who may see it; each page checks the right again.
LEARNER_PAGES = (("learner", "page_learner", "school", "min-utbildning"),
                 ("my_talk", "page_my_talk", "forum", "infor-medarbetarsamtalet"),
                 ("group_join", "page_group_join", "how_to_vote", "gruppovning"),
                 ("privacy", "page_privacy", "shield_person", "om-dina-uppgifter"))
MANAGER_PAGES = (("manager", "page_manager", "monitoring", "min-enhet"),
                 ("talk", "page_talk", "record_voice_over", "medarbetarsamtal"),
                 ("apt", "page_apt", "groups", "apt"))
# Gruppläge: managers, admins, and those an admin made facilitators (progress.facilitators) without managing
FACILITATOR_PAGES = (("group", "page_group", "co_present", "grupplage"),)
ADMIN_PAGES = (("admin", "page_admin", "settings", "administration"),
               ("import_page", "page_import", "upload_file", "import"),
               ("compliance", "page_compliance", "analytics", "analys"),
               ("annual_report", "page_annual_report", "summarize", "arsrapport"),
               ("certificates", "page_certificates", "verified", "intyg"),
               ("audit_log", "page_audit_log", "policy", "granskningslogg"),
               ("privacy_admin", "page_privacy_admin", "shield_lock", "dataskydd"),
               ("scenario_graph", "page_scenario_graph", "account_tree", "scenariograf"))
# The accessibility statement (lag 2018:1937): everyone's, signed in or not, and linked from every page's foot.
STATEMENT_PAGE = ("accessibility", "page_accessibility", "accessibility_new", "tillganglighet")


# WCAG 2.1 AA where Streamlit's own styles fall short (issue 13): a caption is the text colour at 60 % opacity,
# 4.1:1 on white (due dates, "Källor", the certainty score), at 80 % it is about 8:1; the focus mark of a radio
# option was 1.2:1 against the page, a 2 px outline in the theme's primary colour is 6.9:1 on white. Every
# heading had a link to itself named "Link to heading" in English, a Tab stop of no use in a course: hidden
# (display: none also takes it out of the accessibility tree and the Tab order).
ACCESSIBLE_STYLE = """<style>
[data-testid="stHeaderActionElements"] a[href^="#"] { display: none !important; }
[data-testid="stCaptionContainer"] { opacity: 0.8 !important; }
:focus-visible { outline: 2px solid #1f5f8b !important; outline-offset: 2px !important; }
[data-testid="stRadio"] label:has(input:focus-visible),
[data-testid="stCheckbox"] label:has(input:focus-visible) { outline: 2px solid #1f5f8b; outline-offset: 2px;
  border-radius: 4px; }
</style>"""


HOME = LEARNER_PAGES[0][3]  # the learner's home: the default page, which Streamlit serves at "/"


def _page(view: str, title_key: str, icon: str, url_path: str):
    if url_path == HOME:  # at "/"; its own address is _to_home's
        return st.Page(f"views/{view}.py", title=t(title_key), icon=f":material/{icon}:", default=True)
    return st.Page(f"views/{view}.py", title=t(title_key), icon=f":material/{icon}:", url_path=url_path)


def _to_home(home) -> st.Page:
    """/min-utbildning (a bookmark, a link someone wrote down): Streamlit serves the default page at "/" only and
    answered its own address with an English "Page not found". This hidden page sends it home, the query kept."""
    def go() -> None:
        st.switch_page(home, query_params=st.query_params.to_dict())

    return st.Page(go, title=t(LEARNER_PAGES[0][1]), url_path=HOME, visibility="hidden")


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


def _keep_language() -> None:
    """The language chosen goes into the address too (?lang=en), so that a reload keeps it, and is stored with
    the person (progress.preferences), so that their next session and their reminders are in it. A callback runs
    before the script: the user is the one the previous run identified."""
    chosen = st.session_state["language"]
    st.query_params["lang"] = chosen
    user = st.session_state.get("current_user")
    if user is not None:
        try:
            preferences.set_language(services().db, user.id, user.id, chosen)
        except (StoreUnavailable, NotPermitted):
            pass  # the address still keeps it for this session; the next choice stores it


def _stored_language(current, user) -> None:
    """Once per session and person: without ?lang= in the address, the language the person stored. This run
    has drawn in the default already, so the choice waits in `language_stored` for the selectbox of the run
    that follows at once. An address with ?lang= (a shared link, a reload after a choice) wins."""
    if st.session_state.get("language_settled_for") == user.id:
        return
    if "lang" in st.query_params:
        st.session_state["language_settled_for"] = user.id  # for the whole session, whichever page comes next
        return
    try:
        stored = preferences.language_of(current.db, user.id)
    except StoreUnavailable:
        return  # asked again on the next run; the page reports the outage
    st.session_state["language_settled_for"] = user.id
    if stored and stored != language():
        st.session_state["language_stored"] = stored
        st.rerun()


def main() -> None:
    with st.sidebar:
        _redraw_after_reconnect()
    if "language_stored" in st.session_state:  # set by _stored_language on the run before
        st.session_state["language"] = st.session_state.pop("language_stored")
    # Once the session holds a value it is the selectbox's; a default beside it would only log a warning.
    index = 0 if "language" in st.session_state else list(LANGUAGES).index(language())
    st.sidebar.selectbox(t("language"), list(LANGUAGES), format_func=LANGUAGES.get, index=index, key="language",
                         on_change=_keep_language)
    st.html(ACCESSIBLE_STYLE)
    # Streamlit's page says <html lang="en"> whatever the content (streamlit issue 15726), and has English words
    # of its own: the script sets the document's language to the one shown and puts those words in it.
    st.html(page_language.script(language()), unsafe_allow_javascript=True)
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
        _signed_out_pages(current.demo)
        return
    st.session_state["current_user"] = user
    _stored_language(current, user)
    if current.demo:
        st.info(t("demo_banner"), icon=":material/science:")
    pages, statement = _course_pages(user)
    st.sidebar.text(f"{user.name} · {user.unit_name}")  # from the HR file: plain text
    auth.logout_button(current.demo)
    _run_with_footer(st.navigation(pages), statement)


def _course_pages(user) -> tuple[list, object]:
    """The person's pages and the accessibility statement, made once per session, language and roles: st.navigation
    makes its page objects ready again on every run, so the same ones serve every run of the session (made anew,
    the sixteen of an admin cost a rerun about 6 % of its server time, bench/README.md). Never shared between
    sessions: a page object holds whether it may run."""
    key = (user.id, language(), user.is_manager, user.is_admin, _leads_groups(user))
    kept = st.session_state.get("course_pages")
    if kept is None or kept[0] != key:
        pages = [_page(*row) for row in LEARNER_PAGES]
        if user.is_manager:
            pages += [_page(*row) for row in MANAGER_PAGES]
        if key[-1]:
            pages += [_page(*row) for row in FACILITATOR_PAGES]
        if user.is_admin:
            pages += [_page(*row) for row in ADMIN_PAGES]
        statement = _page(*STATEMENT_PAGE)
        kept = (key, [*pages, statement, _to_home(pages[0])], statement)
        st.session_state["course_pages"] = kept
    return kept[1], kept[2]


def _leads_groups(user) -> bool:
    """May lead group sessions: a manager, an admin, or a facilitator by an admin's grant. The grant is read once
    per session (a right given later shows after a reload); the page checks the right on every action."""
    if user.is_manager or user.is_admin:
        return True
    kept = st.session_state.get("leads_groups")
    if kept is None or kept[0] != user.id:
        kept = (user.id, facilitators.is_facilitator(services().db, user.id, today()))
        st.session_state["leads_groups"] = kept
    return kept[1]


def _signed_out_pages(demo: bool) -> None:
    """Nobody to show the course to (not signed in, refused, no demo user picked): what was drawn above it, and
    the accessibility statement, which the law wants open to everyone."""

    def welcome() -> None:
        if demo:
            st.title(t("app_title"))
            st.caption(t("app_tagline"))
            st.info(t("demo_pick_user"))

    statement = _page(*STATEMENT_PAGE)
    home = st.Page(welcome, title=t("app_title"), icon=":material/home:", default=True)  # "/", the learner's home
    # The course's own addresses (a bookmark, a link in a reminder) show the same, hidden from the menu: without
    # them Streamlit would answer /min-enhet with its English "Page not found".
    stand_ins = [st.Page(welcome, title=t(title_key), url_path=url_path, visibility="hidden")
                 for _, title_key, _, url_path in (*LEARNER_PAGES[1:], *MANAGER_PAGES, *FACILITATOR_PAGES,
                                                   *ADMIN_PAGES)]
    _run_with_footer(st.navigation([home, statement, *stand_ins, _to_home(home)]), statement)


def _run_with_footer(page, statement) -> None:
    """The page, then a footer with the link to the accessibility statement. The page draws into a container
    made before the footer, so a page that ends early (st.stop() after a notice) still has the footer below it."""
    content = st.container()
    st.divider()
    st.page_link(statement, label=t("footer_accessibility"))  # no icon: a screen reader may read its name
    with content:
        try:
            page.run()
        except StoreUnavailable:  # any page, any read: the Swedish message and a way to try again
            _store_unavailable()


def _store_unavailable() -> None:
    from views.components.pending import note_on_outage_page

    st.error(f"**{t('store_unavailable_title')}** – {t('store_unavailable')}")
    note_on_outage_page(st.session_state.get("current_user"))  # an answer of this session still kept, if any
    st.button(t("store_retry"), key="store_retry", type="primary")  # a click reruns the page


main()
