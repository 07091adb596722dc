"""The raystreams inspector: a Streamlit app that renders the inspection model.

``app.py`` is the entry file (``raystreams inspect`` or ``streamlit run inspector/app.py``);
``views`` holds the pages as plain functions over an ``InspectionSource``; ``sources`` picks the
source in one place. See docs/INSPECTOR.md.
"""
