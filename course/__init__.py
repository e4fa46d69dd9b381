"""Gränsfall's engine: content, scenario play, quiz scoring, rules and analytics. Never imports streamlit."""
