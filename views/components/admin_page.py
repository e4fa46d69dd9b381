"""The guard an admin's page starts with."""

from __future__ import annotations

import streamlit as st

from progress.org import PersonRecord
from views.context import current_user, t


def admin_or_stop(message_key: str = "access_admins_only") -> PersonRecord:
    """The signed-in admin. Anyone else sees the error `message_key` and the page stops there: the page list
    hides an admin's pages from them, this keeps a page reached anyway from drawing, and the store refuses them
    its figures as well."""
    user = current_user()
    if user is None or not user.is_admin:
        st.error(t(message_key))
        st.stop()
    return user
